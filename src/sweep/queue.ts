import { availableParallelism, hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionOptions, Job, Queue as BullQueue } from 'bullmq';
import { UsageError, UserError } from '../errors.js';
import { openPool, workerModule } from '../profiler/pool.js';
import type { CacheRejection } from '../util/cache.js';
import { PointOutcomeSchema, type PointJob, type PointOutcome } from './evaluate.js';
import type { PointExecutor } from './run.js';

/*
 * Sweeps on a BullMQ queue in Redis. The submitting side enqueues each
 * point as a job whose id is the point's content hash (a point already
 * queued, running or done is not added twice) and collects the results;
 * `fpga-llm-sim worker` processes, started anywhere that reaches the Redis,
 * run the jobs on their local worker pools. A worker killed mid-job loses
 * nothing: its lock on the job expires, another worker's stalled-job check
 * puts the job back, and it runs again; the submitter keeps one result per
 * point. Bull's lock renewal runs on the main thread, which never computes
 * (points run on the pool), so a long point is never taken for a stalled one.
 */

export const DEFAULT_QUEUE_NAME = 'fpga-llm-sim-sweep';

/** BullMQ keeps a queue under `bull:<name>:…` keys, so a name may not hold `:`; ours are plain words. */
const QUEUE_NAME = /^[A-Za-z0-9][\w.-]{0,99}$/;

/** How long a submitted sweep waits with points outstanding and no worker connected before it gives up (ms). */
export const NO_WORKER_TIMEOUT_MS = 60_000;

/** A queue's name, checked: letters, digits, `_`, `.` and `-`, at most 100. */
export function checkQueueName(name: string): string {
  if (!QUEUE_NAME.test(name)) throw new UsageError({ what: `invalid --queue-name "${name}"`, detail: 'expected letters, digits, _, . and - (at most 100, starting with a letter or digit): BullMQ keeps a queue under keys named bull:<name>:…' });
  return name;
}

/** How long connecting to Redis may take before a run gives up with an error. */
const CONNECT_TIMEOUT_MS = 3000;
/** Reconnection attempts after a lost connection before a run gives up (about 10 s in all). */
const RECONNECT_ATTEMPTS = 10;
/** Finished jobs are kept this long, so that a resubmitted sweep finds their results. */
const KEEP_FINISHED_S = 7 * 24 * 3600;

/** A Redis server on this machine. */
export interface RedisAddress {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

/**
 * Reads `redis://[user:password@]HOST[:PORT][/DB]`. Only loopback hosts are
 * taken (127.0.0.0/8, localhost, ::1): Redis has no encryption and, by
 * default, no authentication, so a queue on another machine is reached
 * through a tunnel (`ssh -L 6379:localhost:6379 HOST`), never across a network.
 */
export function parseRedisUrl(url: string): RedisAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError({ what: `invalid --queue "${url}"`, detail: 'expected redis://HOST:PORT, e.g. redis://127.0.0.1:6379.' });
  }
  if (parsed.protocol !== 'redis:') throw new UsageError({ what: `invalid --queue "${url}"`, detail: `expected a redis:// address, got ${parsed.protocol}//.` });
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!isLoopback(host)) {
    throw new UsageError({ what: `--queue ${url}: ${host} is not a loopback address`, detail: 'only 127.0.0.0/8, localhost and ::1 are taken; reach a Redis on another machine through a tunnel, e.g. ssh -L 6379:localhost:6379 HOST.' });
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new UsageError({ what: `invalid --queue "${url}"`, detail: `the database number must be a whole number, got "${parsed.pathname.slice(1)}".` });
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  return { url, host, port: parsed.port === '' ? 6379 : Number(parsed.port), db, username, password };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** ioredis options: a bounded connect, a bounded number of reconnections, then the connection ends and every command fails. */
function connectionOptions(address: RedisAddress): ConnectionOptions {
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    username: address.username,
    password: address.password,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times: number) => (times > RECONNECT_ATTEMPTS ? null : Math.min(times * 200, 2000)),
  };
}

/** Fails with one clear error, within the connect timeout, unless the Redis at `address` answers PING. */
export async function checkRedis(address: RedisAddress): Promise<void> {
  const { Redis } = await import('ioredis');
  // Database 0 first, then SELECT: ioredis reports a SELECT that fails on connecting as an event only, and goes on in database 0.
  const client = new Redis({ ...(connectionOptions(address) as object), db: 0, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: CONNECT_TIMEOUT_MS });
  // ioredis reports a refused connection as an error event, then rejects with "Connection is closed": the event says why.
  let cause: unknown;
  client.on('error', (error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw unreachable(address, cause ?? error);
  }
  try {
    await client.select(address.db);
  } catch (error) {
    throw new UsageError({ what: `--queue ${address.url}: this Redis has no database ${address.db}`, detail: `${(error as Error).message} (redis.conf's "databases" sets how many there are, numbered from 0).` });
  } finally {
    client.disconnect();
  }
}

function unreachable(address: RedisAddress, error: unknown): UserError {
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
  return new UserError({ what: `cannot reach Redis at ${address.url}`, detail: `${reason}. Is redis-server running there?` });
}

const jobId = (key: string) => `point-${key}`;

export interface QueueSubmitOptions {
  readonly url: string;
  readonly queueName?: string | undefined;
  /** How often every outstanding job is looked at, besides the queue's events (ms; default 5000). */
  readonly pollMs?: number | undefined;
  /** Give up once points have been outstanding this long with no worker connected (ms; default NO_WORKER_TIMEOUT_MS). */
  readonly noWorkerTimeoutMs?: number | undefined;
  /** Told when the queue has no worker, and when one connects again. */
  readonly onNotice?: ((message: string) => void) | undefined;
  /** Told of each result a worker returned that fails its schema (its point runs once more). */
  readonly onRejected?: ((rejection: CacheRejection) => void) | undefined;
}

/**
 * Runs points on a queue: enqueues every job (one per content hash; a
 * failed one left from an earlier run is removed first, so it runs again,
 * and with `force` a finished one too), then reports each result as it
 * arrives, until every job has one. Points outstanding with no worker
 * connected for `noWorkerTimeoutMs` end the run with an error (the jobs
 * stay queued for the next).
 */
export function queueExecutor(options: QueueSubmitOptions): PointExecutor {
  const address = parseRedisUrl(options.url);
  const name = checkQueueName(options.queueName ?? DEFAULT_QUEUE_NAME);
  return {
    check: () => checkRedis(address),
    run: async (jobs, onOutcome, context) => {
      if (jobs.length === 0) return;
      const { Queue, QueueEvents } = await import('bullmq');
      const queue = new Queue<PointJob, PointOutcome>(name, { connection: connectionOptions(address) });
      const events = new QueueEvents(name, { connection: connectionOptions(address) });
      queue.on('error', () => {});
      events.on('error', () => {});
      try {
        const collector = new Collector(queue, jobs, { ...options, onOutcome, where: `queue ${name} at ${address.url}` });
        events.on('completed', ({ jobId: id }) => void collector.settle(id).catch(() => {}));
        events.on('failed', ({ jobId: id }) => void collector.settle(id).catch(() => {}));
        await events.waitUntilReady();
        await collector.submit(context?.force === true);
        await collector.collect(options.pollMs ?? 5000);
      } catch (error) {
        throw error instanceof UserError ? error : unreachable(address, error);
      } finally {
        await Promise.allSettled([events.close(), queue.close()]);
      }
    },
  };
}

const jobOptions = (id: string) => ({ jobId: id, removeOnComplete: { age: KEEP_FINISHED_S }, removeOnFail: { age: KEEP_FINISHED_S } });

interface CollectorOptions extends QueueSubmitOptions {
  readonly onOutcome: (outcome: PointOutcome) => void;
  /** The queue and Redis, for messages. */
  readonly where: string;
}

/** The submitting side's bookkeeping: which jobs are still out, each result checked and delivered once, and whether any worker is there to run them. */
class Collector {
  private readonly outstanding: Map<string, PointJob>;
  /** Jobs whose result failed its schema once, and ran again. */
  private readonly rerun = new Set<string>();
  private wake: (() => void) | undefined;
  /** Since when no worker has been connected (performance.now()), or undefined. */
  private workerlessSince: number | undefined;

  constructor(
    private readonly queue: BullQueue<PointJob, PointOutcome>,
    jobs: readonly PointJob[],
    private readonly options: CollectorOptions,
  ) {
    this.outstanding = new Map(jobs.map((job) => [jobId(job.key), job]));
  }

  /** Adds every job; a failed one from an earlier run (and with `force`, any finished one) is removed first, so it runs again. */
  async submit(force: boolean): Promise<void> {
    for (const id of this.outstanding.keys()) {
      const existing = await this.queue.getJob(id);
      if (existing !== undefined && ((await existing.isFailed()) || (force && (await existing.isCompleted())))) await existing.remove();
    }
    await this.queue.addBulk([...this.outstanding].map(([id, job]) => ({ name: 'point', data: job, opts: jobOptions(id) })));
  }

  /** Waits until every job has a result, looking at all of them every `pollMs` and at each one whose event arrives. */
  async collect(pollMs: number): Promise<void> {
    while (this.outstanding.size > 0) {
      for (const id of [...this.outstanding.keys()]) await this.settle(id);
      if (this.outstanding.size === 0) break;
      await this.checkWorkers();
      // The timer is cancelled once an event wakes the loop: a pending one would keep the process alive.
      const woken = new AbortController();
      await Promise.race([sleep(pollMs, undefined, { signal: woken.signal }).catch(() => {}), new Promise<void>((resolve) => (this.wake = resolve))]);
      woken.abort();
    }
  }

  /** Says so when no worker is connected, and gives up when none has been for noWorkerTimeoutMs. */
  private async checkWorkers(): Promise<void> {
    const workers = await this.queue.getWorkersCount();
    const timeoutMs = this.options.noWorkerTimeoutMs ?? NO_WORKER_TIMEOUT_MS;
    if (workers > 0) {
      if (this.workerlessSince !== undefined) this.options.onNotice?.(`a worker connected to ${this.options.where}`);
      this.workerlessSince = undefined;
      return;
    }
    if (this.workerlessSince === undefined) {
      this.workerlessSince = performance.now();
      this.options.onNotice?.(`no worker is connected to ${this.options.where}: start one with \`fpga-llm-sim worker --queue ${this.options.url}\`; giving up after ${timeoutMs / 1000} s without one`);
    } else if (performance.now() - this.workerlessSince >= timeoutMs) {
      throw new UserError({
        what: `no worker ran the points of ${this.options.where} for ${timeoutMs / 1000} s`,
        detail: `${this.outstanding.size} points are still queued and run once a worker starts (fpga-llm-sim worker --queue ${this.options.url}); a sweep submitted again collects them.`,
      });
    }
  }

  /** Delivers a job's result if it has finished and passes its schema; a job that vanished (removed by hand), or whose result fails once, is added again. */
  async settle(id: string): Promise<void> {
    const job = this.outstanding.get(id);
    if (job === undefined) return;
    const found: Job<PointJob, PointOutcome> | undefined = await this.queue.getJob(id);
    if (found === undefined) {
      await this.queue.add('point', job, jobOptions(id));
      return;
    }
    const outcome = finishedOutcome(found, job);
    if (outcome === undefined) return;
    if ('invalid' in outcome) {
      this.options.onRejected?.({ path: `${this.options.where}, job ${id}`, reason: outcome.invalid });
      if (!this.rerun.has(id)) {
        this.rerun.add(id);
        await found.remove();
        await this.queue.add('point', job, jobOptions(id));
        return;
      }
    }
    if (!this.outstanding.delete(id)) return;
    this.options.onOutcome('invalid' in outcome ? { key: job.key, ok: false, userError: false, message: `point ${job.index}: the queue's result failed its schema twice: ${outcome.invalid}` } : outcome);
    this.wake?.();
  }
}

/** A finished job's outcome: what the worker returned (if it passes its schema), or (a job Bull gave up on) its failure as our own error. */
function finishedOutcome(job: Job<PointJob, PointOutcome>, point: PointJob): PointOutcome | { invalid: string } | undefined {
  if (job.finishedOn === undefined) return undefined;
  if (job.returnvalue === null || job.returnvalue === undefined || job.failedReason !== undefined) {
    return { key: point.key, ok: false, userError: false, message: `point ${point.index} failed on the queue: ${job.failedReason ?? 'no result was returned'}` };
  }
  const parsed = PointOutcomeSchema.safeParse(job.returnvalue);
  if (!parsed.success) return { invalid: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(the result)'}: ${issue.message}`).join('; ') };
  if (parsed.data.key !== point.key) return { invalid: `it is the result of another point (key ${parsed.data.key.slice(0, 12)})` };
  return parsed.data;
}

export interface QueueWorkerOptions {
  readonly url: string;
  readonly queueName?: string | undefined;
  /** Points run at once, each on a worker thread; default one per core. */
  readonly threads?: number | undefined;
  /** How long a job stays locked without renewal (ms; Bull's default 30000). A killed worker's job runs again after about this long. */
  readonly lockDurationMs?: number | undefined;
  /** How often this worker looks for stalled jobs (ms; Bull's default 30000). */
  readonly stalledIntervalMs?: number | undefined;
  /** Stop once the queue has had no job waiting, delayed or running for this long (ms; 0: at the first look); never when undefined. */
  readonly idleExitMs?: number | undefined;
  /** Stops the worker: running jobs finish first. */
  readonly signal?: AbortSignal | undefined;
  /** Called once the worker is connected and serving. */
  readonly onReady?: (() => void) | undefined;
  readonly onPoint?: ((event: { readonly index: number; readonly ok: boolean; readonly elapsedMs: number }) => void) | undefined;
}

/** Runs queued points until stopped (or idle); returns how many it ran. */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<{ processed: number }> {
  const address = parseRedisUrl(options.url);
  const name = checkQueueName(options.queueName ?? DEFAULT_QUEUE_NAME);
  await checkRedis(address);
  const threads = options.threads ?? availableParallelism();
  const stalledInterval = options.stalledIntervalMs ?? 30_000;
  const pool = await openPool<PointJob, PointOutcome>(workerModule('sweep/worker'), threads);
  const { Queue, Worker } = await import('bullmq');
  const queue = new Queue(name, { connection: connectionOptions(address) });
  let processed = 0;
  const worker = new Worker<PointJob, PointOutcome>(
    name,
    async (job) => {
      const started = performance.now();
      const outcome = await pool.run(job.data);
      processed++;
      options.onPoint?.({ index: job.data.index, ok: outcome.ok, elapsedMs: performance.now() - started });
      return outcome;
    },
    { connection: connectionOptions(address), concurrency: threads, lockDuration: options.lockDurationMs ?? 30_000, stalledInterval, maxStalledCount: 3, name: `${hostname()}:${process.pid}` },
  );
  worker.on('error', () => {});
  queue.on('error', () => {});
  options.onReady?.();
  try {
    await watch(queue, { everyMs: Math.min(stalledInterval, 2000), idleExitMs: options.idleExitMs, signal: options.signal });
  } catch (error) {
    throw unreachable(address, error);
  } finally {
    await Promise.allSettled([worker.close(), queue.close()]);
    await pool.destroy();
  }
  return { processed };
}

/** Returns when stopped, or when the queue has been idle for idleExitMs; throws when Redis is gone (the counts cannot be read). */
async function watch(queue: BullQueue, options: { everyMs: number; idleExitMs: number | undefined; signal: AbortSignal | undefined }): Promise<void> {
  let idleSince: number | undefined;
  while (options.signal?.aborted !== true) {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    const idle = Object.values(counts).every((count) => count === 0);
    idleSince = idle ? (idleSince ?? performance.now()) : undefined;
    if (options.idleExitMs !== undefined && idleSince !== undefined && performance.now() - idleSince >= options.idleExitMs) return;
    await sleep(options.everyMs, undefined, { signal: options.signal }).catch(() => {});
  }
}
