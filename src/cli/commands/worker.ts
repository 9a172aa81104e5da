import { InvalidArgumentError, type Command } from 'commander';
import { runQueueWorker } from '../../sweep/index.js';
import type { CliIo } from '../io.js';
import { positiveInteger, threadCount } from '../options.js';

/*
 * `worker --queue redis://HOST:PORT`: runs the points that `sweep --queue`
 * enqueues, on this machine's worker pool, until stopped (SIGINT or
 * SIGTERM: the points it is running finish first) or, with
 * --exit-when-idle, once the queue has had nothing to run for a while.
 */

interface WorkerCliOptions {
  queue: string;
  queueName: string;
  jobs?: number;
  lockDuration: number;
  stalledInterval: number;
  exitWhenIdle?: number | true;
}

/** How long --exit-when-idle waits by default: long enough for a sweep that is still enqueuing. */
const DEFAULT_IDLE_EXIT_S = 10;

function nonNegativeSeconds(value: string): number {
  const seconds = Number(value);
  if (!(seconds >= 0)) throw new InvalidArgumentError(`expected seconds (0 or more), got "${value}".`);
  return seconds;
}

export function addOptions(command: Command): Command {
  return command
    .requiredOption('--queue <url>', 'the Redis the sweep enqueued on: redis://HOST:PORT, a loopback address')
    .option('--queue-name <name>', 'the queue to serve', 'fpga-llm-sim-sweep')
    .option('--jobs <n>', 'points run at once, one worker thread each (default: one per core)', threadCount)
    .option('--lock-duration <ms>', "how long a job stays locked without renewal: a killed worker's job runs again elsewhere after about this long", positiveInteger, 30_000)
    .option('--stalled-interval <ms>', 'how often to look for jobs whose worker died', positiveInteger, 30_000)
    .option('--exit-when-idle [seconds]', 'exit once no job has been waiting, delayed or running for this long (default 10 s; for batch jobs)', nonNegativeSeconds);
}

export async function run(options: WorkerCliOptions, io: CliIo): Promise<void> {
  const stop = new AbortController();
  io.onStop?.(() => {
    io.stderr.write('worker: stopping after the points running now\n');
    stop.abort();
  });
  const { processed } = await runQueueWorker({
    url: options.queue,
    queueName: options.queueName,
    threads: options.jobs,
    lockDurationMs: options.lockDuration,
    stalledIntervalMs: options.stalledInterval,
    idleExitMs: options.exitWhenIdle === undefined ? undefined : (options.exitWhenIdle === true ? DEFAULT_IDLE_EXIT_S : options.exitWhenIdle) * 1000,
    signal: stop.signal,
    onReady: () => io.stderr.write(`worker: serving ${options.queueName} at ${options.queue}\n`),
    onPoint: (point) => io.stderr.write(`worker: point ${point.index} ${point.ok ? 'done' : 'failed'} in ${(point.elapsedMs / 1000).toFixed(2)} s\n`),
  });
  io.stderr.write(`worker: ${processed} points run\n`);
}
