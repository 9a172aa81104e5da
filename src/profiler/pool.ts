import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runSimulationJob, type SimulationJob, type SimulationOutcome } from './jobs.js';

/**
 * Most worker threads a pool starts per core. The work is CPU-bound, so more
 * threads than cores only add memory: each worker loads its own copy of
 * the simulator (some 50 MB), and `--jobs 216` on a 2-core machine started
 * 119 of them. Four per core leaves room for I/O and hyperthreads.
 */
export const MAX_THREADS_PER_CORE = 4;

/** The most worker threads a pool starts on this machine. */
export function maxThreads(): number {
  return MAX_THREADS_PER_CORE * availableParallelism();
}

export interface RunJobsOptions {
  /** Worker threads; default one per core. One job, or one thread, runs in this thread. */
  readonly threads?: number;
  /** Called as each job finishes, in completion order. */
  readonly onDone?: (outcome: SimulationOutcome, done: number, total: number) => void;
}

/** The worker modules, by their path below `src/`. */
export type WorkerName = 'profiler/worker' | 'sweep/worker';

/**
 * The file of a worker module: below `src/` (`.ts`) when running from
 * source, below `dist/` when built, below `dist/bundle/` in the bundled CLI.
 * This module sits one folder down in all three (the bundle keeps its shared
 * chunks in `chunks/`), so the root is its parent folder.
 */
export function workerModule(name: WorkerName): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../${name}${extension}`, import.meta.url));
}

/** A pool of worker threads running one module's default export on plain-data jobs. */
export interface WorkerPool<J, O> {
  run(job: J): Promise<O>;
  destroy(): Promise<void>;
}

/** Starts `threads` worker threads on the module at `filename` (piscina, imported only here). */
export async function openPool<J, O>(filename: string, threads: number): Promise<WorkerPool<J, O>> {
  const { Piscina } = await import('piscina');
  const count = Math.min(threads, maxThreads());
  const pool = new Piscina<J, O>({ filename, minThreads: count, maxThreads: count });
  return { run: (job) => pool.run(job), destroy: () => pool.destroy() };
}

export interface PoolRun<J, O> {
  /** The worker module, whose default export runs one job as `here` does. */
  readonly filename: string;
  readonly jobs: readonly J[];
  /** Runs one job in this thread (one job, or one thread). */
  readonly here: (job: J) => O | Promise<O>;
  readonly threads?: number | undefined;
  readonly onDone?: ((outcome: O, done: number, total: number) => void) | undefined;
}

/**
 * Runs jobs on a pool of `threads` worker threads (default one per core, at
 * most one per job after the first). Workers take some hundred milliseconds
 * to load their modules; until the pool is ready this thread takes jobs
 * itself, so a handful of short jobs is done before a worker would have
 * started one, and the first job is always this thread's. Outcomes come back
 * in job order.
 */
export async function runOnPool<J, O>(run: PoolRun<J, O>): Promise<O[]> {
  const total = run.jobs.length;
  const threads = Math.max(1, Math.min(run.threads ?? availableParallelism(), total, maxThreads()));
  const outcomes: O[] = new Array<O>(total);
  let next = 0;
  let done = 0;
  let poolReady = false;
  const take = (): number | undefined => (next < total ? next++ : undefined);
  const finish = (index: number, outcome: O) => {
    outcomes[index] = outcome;
    run.onDone?.(outcome, ++done, total);
  };
  const here = async (untilPoolReady: boolean) => {
    while (!(untilPoolReady && poolReady)) {
      const index = take();
      if (index === undefined) return;
      finish(index, await run.here(run.jobs[index]!));
      // Let the pool finish starting, and workers hand back outcomes.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const workers = Math.min(threads, total - 1);
  if (threads === 1 || workers === 0) {
    await here(false);
    return outcomes;
  }
  const pool = openPool<J, O>(run.filename, workers).then((ready) => {
    poolReady = true;
    return ready;
  });
  const worker = async () => {
    const ready = await pool;
    for (let index = take(); index !== undefined; index = take()) finish(index, await ready.run(run.jobs[index]!));
  };
  try {
    await Promise.all([here(true), ...Array.from({ length: workers }, worker)]);
    return outcomes;
  } finally {
    await (await pool).destroy();
  }
}

/** Runs simulation jobs on a piscina pool; outcomes come back in job order. */
export function runSimulationJobs(jobs: readonly SimulationJob[], options: RunJobsOptions = {}): Promise<SimulationOutcome[]> {
  return runOnPool({ filename: workerModule('profiler/worker'), jobs, here: runSimulationJob, threads: options.threads, onDone: options.onDone });
}
