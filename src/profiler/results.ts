import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/files.js';

/*
 * Per-length results kept where FlightLLM keeps them: one profiler CSV per
 * IR, `profiler_output/<model>_<stage>_token_<N>.csv`. Beside them,
 * `.inputs.json` records, per CSV, the content hash of everything it was
 * computed from, its end-to-end latency at full precision (the CSV prints
 * six decimals) and its physical bound. A result is reused only when that hash matches the present
 * inputs, never because the file exists.
 */

const MANIFEST = '.inputs.json';

/** What is kept of one length besides its CSV. */
export interface StoredResult {
  readonly totalMs: number;
  readonly boundMs: number;
  /** Energy of the step, J; absent where the board describes no energy. */
  readonly joules?: number | undefined;
}

interface Entry extends StoredResult {
  readonly key: string;
}

export class ResultStore {
  private readonly manifest: Record<string, Entry>;
  private changed = false;

  constructor(
    readonly directory: string,
    /** Recompute everything, ignoring what is stored. */
    private readonly force = false,
  ) {
    this.manifest = readManifest(join(directory, MANIFEST));
  }

  /** The stored latency and bound of `name`, if they were computed from inputs hashing to `key`. */
  lookup(name: string, key: string): StoredResult | undefined {
    const entry = this.manifest[name];
    if (this.force || entry?.key !== key || !existsSync(this.csvPath(name))) return undefined;
    return { totalMs: entry.totalMs, boundMs: entry.boundMs, ...(entry.joules === undefined ? {} : { joules: entry.joules }) };
  }

  store(name: string, key: string, result: StoredResult & { csv: string }): void {
    writeFileAtomic(this.csvPath(name), result.csv);
    this.manifest[name] = { key, totalMs: result.totalMs, boundMs: result.boundMs, ...(result.joules === undefined ? {} : { joules: result.joules }) };
    this.changed = true;
  }

  /** Writes the manifest if anything was stored. */
  flush(): void {
    if (this.changed) writeFileAtomic(join(this.directory, MANIFEST), `${JSON.stringify(this.manifest, null, 1)}\n`);
    this.changed = false;
  }

  csvPath(name: string): string {
    return join(this.directory, `${name}.csv`);
  }
}

function readManifest(path: string): Record<string, Entry> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return {};
    const entries = Object.entries(parsed).filter(([, entry]) => typeof entry?.key === 'string' && typeof entry?.totalMs === 'number' && typeof entry?.boundMs === 'number');
    return Object.fromEntries(entries) as Record<string, Entry>;
  } catch {
    return {};
  }
}
