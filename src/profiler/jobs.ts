import { basename } from 'node:path';
import { UserError } from '../errors.js';
import type { Hardware } from '../hardware/index.js';
import { defaultMaskDirectory, loadIr, maskDirectory } from '../ir/index.js';
import { profileToCsv, simulateIr, type Profile } from '../simulator/index.js';
import { ContentCache } from '../util/cache.js';

/**
 * One IR file to simulate. Plain, copyable data: jobs cross into worker
 * threads by structured clone.
 */
export interface SimulationJob {
  readonly irPath: string;
  readonly hardware: Hardware;
  /** Mask directory; default `attention_mask/` beside the IR file. */
  readonly masksDir?: string | undefined;
  /** Directory of the parsed-IR cache; none when undefined. */
  readonly cacheDir?: string | undefined;
}

/** A job's outcome as data: errors cannot keep their class across threads. */
export type SimulationOutcome =
  | { readonly ok: true; readonly irPath: string; readonly profile: Profile; readonly csv: string; readonly elapsedMs: number }
  | { readonly ok: false; readonly irPath: string; readonly userError: boolean; readonly message: string };

/** Loads, simulates and formats one IR file. Never throws. */
export function runSimulationJob(job: SimulationJob): SimulationOutcome {
  const started = performance.now();
  try {
    const cache = job.cacheDir === undefined ? undefined : new ContentCache(job.cacheDir);
    const ir = loadIr(job.irPath, cache === undefined ? {} : { cache });
    const masks = maskDirectory(job.masksDir ?? defaultMaskDirectory(job.irPath));
    const profile = simulateIr(ir, job.hardware, { masks, file: job.irPath });
    return { ok: true, irPath: job.irPath, profile, csv: profileToCsv(profile), elapsedMs: performance.now() - started };
  } catch (error) {
    if (error instanceof UserError) return { ok: false, irPath: job.irPath, userError: true, message: error.message };
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { ok: false, irPath: job.irPath, userError: false, message: `internal error while simulating ${basename(job.irPath)}: ${message}` };
  }
}
