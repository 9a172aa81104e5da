import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runSimulationJob, type SimulationJob, type SimulationOutcome } from './jobs.js';

export interface RunJobsOptions {
  /** Worker threads; default one per core. One job, or one thread, runs in this thread. */
  readonly threads?: number;
  /** Called as each job finishes, in completion order. */
  readonly onDone?: (outcome: SimulationOutcome, done: number, total: number) => void;
}

/**
 * A worker module beside `callerUrl` (a module's `import.meta.url`): `.ts`
 * when running from source, `.js` when built.
 */
export function workerModule(callerUrl: string, name: string): string {
  const extension = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${extension}`, callerUrl));
}

/** A pool of worker threads running one module's default export on plain-data jobs. */
export interface WorkerPool<J, O> {
  run(job: J): Promise<O>;
  destroy(): Promise<void>;
}

/** Starts `threads` worker threads on the module at `filename` (piscina, imported only here). */
export async function openPool<J, O>(filename: string, threads: number): Promise<WorkerPool<J, O>> {
  const { Piscina } = await import('piscina');
  const pool = new Piscina<J, O>({ filename, minThreads: threads, maxThreads: threads });
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

/** Runs jobs on a pool of min(threads, jobs) worker threads, default one per core; outcomes come back in job order. */
export async function runOnPool<J, O>(run: PoolRun<J, O>): Promise<O[]> {
  const threads = Math.max(1, Math.min(run.threads ?? availableParallelism(), run.jobs.length));
  let done = 0;
  const finished = (outcome: O) => {
    run.onDone?.(outcome, ++done, run.jobs.length);
    return outcome;
  };
  if (threads === 1) {
    const outcomes: O[] = [];
    for (const job of run.jobs) outcomes.push(finished(await run.here(job)));
    return outcomes;
  }
  const pool = await openPool<J, O>(run.filename, threads);
  try {
    return await Promise.all(run.jobs.map(async (job) => finished(await pool.run(job))));
  } finally {
    await pool.destroy();
  }
}

/** Runs simulation jobs on a piscina pool; outcomes come back in job order. */
export function runSimulationJobs(jobs: readonly SimulationJob[], options: RunJobsOptions = {}): Promise<SimulationOutcome[]> {
  return runOnPool({ filename: workerModule(import.meta.url, 'worker'), jobs, here: runSimulationJob, threads: options.threads, onDone: options.onDone });
}
