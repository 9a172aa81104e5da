import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runSimulationJob, type SimulationJob, type SimulationOutcome } from './jobs.js';

export interface RunJobsOptions {
  /** Worker threads; default one per core. One job, or one thread, runs in this thread. */
  readonly threads?: number;
  /** Called as each job finishes, in completion order. */
  readonly onDone?: (outcome: SimulationOutcome, done: number, total: number) => void;
}

/** The worker module beside this one: `.ts` when running from source, `.js` when built. */
function workerFile(): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./worker${extension}`, import.meta.url));
}

/** Runs simulation jobs on a piscina pool; outcomes come back in job order. */
export async function runSimulationJobs(jobs: readonly SimulationJob[], options: RunJobsOptions = {}): Promise<SimulationOutcome[]> {
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), jobs.length));
  let done = 0;
  const finished = (outcome: SimulationOutcome) => {
    options.onDone?.(outcome, ++done, jobs.length);
    return outcome;
  };
  if (threads === 1) return jobs.map((job) => finished(runSimulationJob(job)));
  const { Piscina } = await import('piscina');
  const pool = new Piscina<SimulationJob, SimulationOutcome>({ filename: workerFile(), minThreads: threads, maxThreads: threads });
  try {
    return await Promise.all(jobs.map(async (job) => finished(await pool.run(job))));
  } finally {
    await pool.destroy();
  }
}
