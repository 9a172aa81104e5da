import { UserError } from '../errors.js';
import { runOnPool, workerModule } from '../profiler/pool.js';
import type { ContentCache } from '../util/cache.js';
import { runPointJob, type PointJob, type PointOutcome } from './evaluate.js';
import { PointPreparer } from './prepare.js';
import { eachPoint, pointCount, shardPoints, type Scalar, type Shard, type SweepPoint } from './points.js';
import { reportedObjectives, type SweepSpec } from './spec.js';
import type { PointStore, StoredPoint } from './store.js';

/*
 * A sweep: the spec's points (or one shard of them), each reused from the
 * store when its content hash is there, else prepared and run by an
 * executor (the local worker pool, or a queue), stored as it finishes, and
 * returned as one row per point. Shards and queues are layers over this.
 */

/** Runs prepared jobs somewhere and reports each outcome as it arrives. */
export interface PointExecutor {
  /** Checked before any point is prepared, so that an executor that cannot run (a queue it cannot reach) fails at once. */
  check?(): Promise<void>;
  /** Runs the jobs; with `force`, results kept from earlier runs (a queue's) are not reused either. */
  run(jobs: readonly PointJob[], onOutcome: (outcome: PointOutcome) => void, context?: { readonly force: boolean }): Promise<void>;
}

/** The local worker pool: one thread per core (default), each point in one thread. */
export function localPool(options: { threads?: number | undefined } = {}): PointExecutor {
  return {
    run: async (jobs, onOutcome) => {
      await runOnPool({ filename: workerModule('sweep/worker'), jobs, here: runPointJob, threads: options.threads, onDone: (outcome) => onOutcome(outcome) });
    },
  };
}

export interface SweepOptions {
  /** Run only this shard of the points. */
  readonly shard?: Shard | undefined;
  /** Where finished points are kept and found again. */
  readonly store?: PointStore | undefined;
  /** Run every point again, ignoring the store. */
  readonly force?: boolean | undefined;
  /** The parse cache board loads go through. */
  readonly cache?: ContentCache | undefined;
  /** Where points run; default the local pool with `threads`. */
  readonly executor?: PointExecutor | undefined;
  readonly threads?: number | undefined;
  readonly onProgress?: ((progress: SweepProgress) => void) | undefined;
}

export interface SweepProgress {
  /** Distinct points finished (reused, refused or run), of `total`. */
  readonly done: number;
  readonly total: number;
  readonly reused: number;
  readonly failed: number;
}

export type PointStatus = 'ok' | 'failed' | 'error';

/** One point of a sweep as results.csv shows it. */
export interface SweepRow {
  readonly point: number;
  /** Its content hash. */
  readonly key: string;
  /** Board, model, precision, case and every swept key. */
  readonly columns: Readonly<Record<string, Scalar>>;
  /** ok; failed: its configuration was refused (the reason in `error`); error: our own failure, not stored, retried by the next run. */
  readonly status: PointStatus;
  /** Whether the design fits its FPGA device (resources, clock, memory); null where the board names no device or the point did not run. A point that does not fit is still simulated, but is no candidate for the best point or the Pareto front. */
  readonly fits: boolean | null;
  /** The spec's objectives; null where the point has no value. */
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly error: string;
}

export interface SweepResult {
  readonly spec: SweepSpec;
  readonly shard: Shard | undefined;
  /** Points in the whole spec (every shard). */
  readonly totalPoints: number;
  /** This run's points, in the spec's order. */
  readonly rows: readonly SweepRow[];
  /** Distinct points computed now (run, or refused as they loaded), and found in the store. */
  readonly ran: number;
  readonly reused: number;
}

type Finished = StoredPoint | { readonly key: string; readonly status: 'error'; readonly message: string };

/** Runs a sweep and returns one row per point. */
export async function sweep(spec: SweepSpec, options: SweepOptions = {}): Promise<SweepResult> {
  const executor = options.executor ?? localPool({ threads: options.threads });
  await executor.check?.();
  const points = shardPoints(eachPoint(spec), options.shard);
  const preparer = new PointPreparer(spec, options.cache);
  const keys = points.map((point) => preparer.key(point));
  const firstOf = new Map<string, SweepPoint>();
  points.forEach((point, at) => firstOf.has(keys[at]!) || firstOf.set(keys[at]!, point));
  const finished = new Map<string, Finished>();
  const counts = { done: 0, total: firstOf.size, reused: 0, failed: 0 };
  const finish = (point: Finished, reused = false) => {
    finished.set(point.key, point);
    if (point.status !== 'error' && !reused) options.store?.put(point);
    counts.done++;
    if (reused) counts.reused++;
    if (point.status !== 'ok') counts.failed++;
  };
  const jobs: PointJob[] = [];
  for (const [key, point] of firstOf) {
    const stored = options.force === true ? undefined : options.store?.get(key);
    if (stored !== undefined) finish(stored, true);
    else {
      const job = prepared(preparer, point, key);
      if ('job' in job) jobs.push(job.job);
      else finish(job.refused);
    }
  }
  options.onProgress?.({ ...counts });
  await executor.run(
    jobs,
    (outcome) => {
      if (finished.has(outcome.key) || !firstOf.has(outcome.key)) return;
      finish(storedOf(outcome));
      options.onProgress?.({ ...counts });
    },
    { force: options.force === true },
  );
  const rows = points.map((point, at) => rowOf(point, keys[at]!, { done: finished.get(keys[at]!), objectives: reportedObjectives(spec) }));
  return { spec, shard: options.shard, totalPoints: pointCount(spec), rows, ran: counts.total - counts.reused, reused: counts.reused };
}

/** The point's job, or its refusal when the board, model, precision or case cannot be loaded. */
function prepared(preparer: PointPreparer, point: SweepPoint, key: string): { job: PointJob } | { refused: StoredPoint } {
  try {
    return { job: preparer.job(point, key) };
  } catch (error) {
    if (error instanceof UserError) return { refused: { key, status: 'failed', message: error.message } };
    throw error;
  }
}

function storedOf(outcome: PointOutcome): Finished {
  if (outcome.ok) return { key: outcome.key, status: 'ok', evaluations: outcome.evaluations, metrics: outcome.metrics };
  return { key: outcome.key, status: outcome.userError ? 'failed' : 'error', message: outcome.message };
}

function rowOf(point: SweepPoint, key: string, result: { done: Finished | undefined; objectives: readonly string[] }): SweepRow {
  const { done, objectives } = result;
  const base = { point: point.index, key, columns: point.columns, fits: null };
  if (done === undefined) return { ...base, status: 'error', metrics: nullMetrics(objectives), error: 'no result came back for this point' };
  if (done.status !== 'ok') return { ...base, status: done.status, metrics: nullMetrics(objectives), error: done.message };
  return { ...base, status: 'ok', fits: done.evaluations.design?.fits ?? null, metrics: Object.fromEntries(objectives.map((name) => [name, done.metrics[name] ?? null])), error: '' };
}

function nullMetrics(objectives: readonly string[]): Record<string, null> {
  return Object.fromEntries(objectives.map((name) => [name, null]));
}
