import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { CacheRejection } from '../util/cache.js';
import { writeFileAtomic } from '../util/files.js';
import { contentHash } from '../util/hash.js';
import { canonicalJson } from '../util/json.js';
import type { PointEvaluations } from './objectives.js';

/*
 * Finished points, one JSON file each, named by the point's content hash:
 * a rerun (after a crash, a killed job, an added axis value) reuses every
 * point whose inputs are unchanged and computes only the rest. A file is
 * written whole or not at all, so a process killed mid-write leaves no
 * half result; many processes may share the directory. A file is trusted
 * only when it passes the schema it was written with and its digest: one
 * that fails is removed, reported, and its point runs again.
 */

/** What is kept of a point: its evaluations and objective values, or why its configuration was refused. */
export type StoredPoint =
  | { readonly key: string; readonly status: 'ok'; readonly evaluations: PointEvaluations; readonly metrics: Readonly<Record<string, number | null>> }
  | { readonly key: string; readonly status: 'failed'; readonly message: string };

const figure = z.number().finite().nonnegative();
const CaseFiguresSchema = z.strictObject({ prefillMs: figure, decodeMs: figure, totalMs: figure, tokensPerSecond: figure });

/** A point's evaluations, as runPointJob returns them: what a stored point or a queue worker's result must hold. */
export const PointEvaluationsSchema = z.strictObject({
  design: z
    .strictObject({
      fits: z.boolean().nullable(),
      maxResourceUtilization: figure.nullable(),
      utilization: z.record(z.string(), figure.nullable()),
    })
    .optional(),
  profile: z
    .strictObject({
      device: CaseFiguresSchema,
      bound: CaseFiguresSchema,
      energy: z.strictObject({ joules: figure, averageWatts: figure, tokensPerJoule: figure, tokensPerDollar: figure.nullable() }).optional(),
    })
    .optional(),
  serving: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).optional(),
});

/** Objective values by name; null where the point has none. */
export const MetricsSchema = z.record(z.string(), z.number().finite().nullable());

const StoredPointSchema = z.discriminatedUnion('status', [
  z.strictObject({ key: z.string(), status: z.literal('ok'), evaluations: PointEvaluationsSchema, metrics: MetricsSchema }),
  z.strictObject({ key: z.string(), status: z.literal('failed'), message: z.string() }),
]);

export interface PointStoreOptions {
  /** Told of each stored point refused on reading (it is removed and runs again). */
  readonly onRejected?: ((rejection: CacheRejection) => void) | undefined;
}

export class PointStore {
  constructor(
    readonly directory: string,
    private readonly options: PointStoreOptions = {},
  ) {}

  /** The point stored under `key`, or undefined when there is none or it fails its checks. */
  get(key: string): StoredPoint | undefined {
    const path = this.pathOf(key);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
    const checked = checkStored(text, key);
    if (typeof checked !== 'string') return checked;
    rmSync(path, { force: true });
    this.options.onRejected?.({ path, reason: checked });
    return undefined;
  }

  put(point: StoredPoint): void {
    writeFileAtomic(this.pathOf(point.key), `${JSON.stringify({ ...point, sha256: pointDigest(point) })}\n`);
  }

  private pathOf(key: string): string {
    return join(this.directory, `${key}.json`);
  }
}

/** The stored point, or why it is refused. */
function checkStored(text: string, key: string): StoredPoint | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'not JSON (truncated?)';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not a stored point';
  const { sha256, ...rest } = raw as Record<string, unknown>;
  const parsed = StoredPointSchema.safeParse(rest);
  if (!parsed.success) return parsed.error.issues.map((issue) => `${issue.path.join('.') || '(the point)'}: ${issue.message}`).join('; ');
  if (parsed.data.key !== key) return 'it holds another point';
  if (sha256 !== pointDigest(parsed.data)) return 'its figures do not match their digest (edited, or written by an older version)';
  return parsed.data;
}

function pointDigest(point: StoredPoint): string {
  return contentHash(canonicalJson(point));
}
