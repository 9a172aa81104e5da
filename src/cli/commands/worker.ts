import type { Command } from 'commander';
import { runQueueWorker } from '../../sweep/index.js';
import type { CliIo } from '../io.js';
import { positiveInteger } from '../options.js';

/*
 * `worker --queue redis://HOST:PORT`: runs the points that `sweep --queue`
 * enqueues, on this machine's worker pool, until stopped (SIGINT or
 * SIGTERM: the points it is running finish first) or, with
 * --exit-when-idle, until the queue has nothing left to run.
 */

interface WorkerCliOptions {
  queue: string;
  queueName: string;
  jobs?: number;
  lockDuration: number;
  stalledInterval: number;
  exitWhenIdle?: boolean;
}

export function addOptions(command: Command): Command {
  return command
    .requiredOption('--queue <url>', 'the Redis the sweep enqueued on: redis://HOST:PORT, a loopback address')
    .option('--queue-name <name>', 'the queue to serve', 'fpga-llm-sim-sweep')
    .option('--jobs <n>', 'points run at once, one worker thread each (default: one per core)', positiveInteger)
    .option('--lock-duration <ms>', "how long a job stays locked without renewal: a killed worker's job runs again elsewhere after about this long", positiveInteger, 30_000)
    .option('--stalled-interval <ms>', 'how often to look for jobs whose worker died', positiveInteger, 30_000)
    .option('--exit-when-idle', 'exit once no job is waiting, delayed or running (for batch jobs)');
}

export async function run(options: WorkerCliOptions, io: CliIo): Promise<void> {
  const stop = new AbortController();
  io.onStop?.(() => {
    io.stderr.write('worker: stopping after the points running now\n');
    stop.abort();
  });
  io.stderr.write(`worker: serving ${options.queueName} at ${options.queue}\n`);
  const { processed } = await runQueueWorker({
    url: options.queue,
    queueName: options.queueName,
    threads: options.jobs,
    lockDurationMs: options.lockDuration,
    stalledIntervalMs: options.stalledInterval,
    exitWhenIdle: options.exitWhenIdle === true,
    signal: stop.signal,
    onPoint: (point) => io.stderr.write(`worker: point ${point.index} ${point.ok ? 'done' : 'failed'} in ${(point.elapsedMs / 1000).toFixed(2)} s\n`),
  });
  io.stderr.write(`worker: ${processed} points run\n`);
}
