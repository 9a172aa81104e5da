import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { UsageError, UserError } from '../../src/errors.js';
import { checkRedis, parseRedisUrl, parseSweepSpec, queueExecutor, runPointJob, runQueueWorker, sweep, RESULTS_CSV, type PointJob, type SweepSpec } from '../../src/sweep/index.js';
import { freePort, NO_REDIS, ROOT, runMain, startRedis, temporaryDirectory, testCache, thrown, tinySweepSpec, type RedisServer } from '../helpers.js';

/** Waits until the sweep has enqueued its jobs (a worker told to exit when idle would otherwise find nothing). */
async function enqueued(redis: RedisServer, expected: { queueName: string; jobs: number; unfinished?: boolean }): Promise<void> {
  const queue = new Queue(expected.queueName, { connection: { host: '127.0.0.1', port: redis.port } });
  const types = expected.unfinished === true ? (['waiting', 'active'] as const) : (['waiting', 'active', 'completed'] as const);
  try {
    while ((await queue.getJobCountByTypes(...types)) < expected.jobs) await sleep(20);
  } finally {
    await queue.close();
  }
}

/** Fast stalled-job recovery for tests: a dead worker's job is back in the queue within about a second. */
const QUICK = { lockDurationMs: 600, stalledIntervalMs: 300 } as const;

describe('queue addresses', () => {
  test('only loopback Redis addresses are taken', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6390/2'), { url: 'redis://127.0.0.1:6390/2', host: '127.0.0.1', port: 6390, db: 2, username: undefined, password: undefined });
    assert.equal(parseRedisUrl('redis://localhost').port, 6379);
    assert.equal(parseRedisUrl('redis://[::1]:7000').host, '::1');
    assert.match(thrown(UsageError, () => parseRedisUrl('redis://10.0.0.1:6379')).message, /10\.0\.0\.1 is not a loopback address.*ssh -L/);
    assert.match(thrown(UsageError, () => parseRedisUrl('redis://example.org:6379')).message, /not a loopback address/);
    assert.match(thrown(UsageError, () => parseRedisUrl('http://127.0.0.1:6379')).message, /expected a redis:\/\/ address/);
  });

  test('a Redis nobody listens on is a clear error at once, not a hang', { timeout: 20_000 }, async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const spec = parseSweepSpec(tinySweepSpec(temporaryDirectory()));
    const refused = (error: unknown) => error instanceof UserError && error.message.startsWith(`cannot reach Redis at ${url}: `) && /ECONNREFUSED/.test(error.message);
    await assert.rejects(sweep(spec, { executor: queueExecutor({ url }), cache: testCache() }), refused);
    await assert.rejects(runQueueWorker({ url, threads: 1 }), refused);
  });
});

describe('sweeps on a queue', { skip: NO_REDIS }, () => {
  let redis: RedisServer;
  let directory: string;
  let spec: SweepSpec;

  before(async () => {
    redis = await startRedis();
    directory = temporaryDirectory();
    // LLaMA2-7B: a point takes long enough (a 128-token prefill) that a worker can be killed in the middle of one.
    spec = parseSweepSpec({ ...tinySweepSpec(directory), model: 'llama2-7b', case: '1x128x1', axes: { set: { 'hbm.bandwidthGiBps': [409.6, 614.4, 819.2] } } });
  });
  after(async () => redis?.stop());

  test('a worker killed mid-job loses nothing: another runs its job again, and every point comes back exactly once', { timeout: 60_000 }, async () => {
    const queueName = 'killed-worker';
    const submitted = sweep(spec, { executor: queueExecutor({ url: redis.url, queueName, pollMs: 200 }), cache: testCache() });
    const killed = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'worker', '--queue', redis.url, '--queue-name', queueName, '--jobs', '1', '--lock-duration', String(QUICK.lockDurationMs), '--stalled-interval', String(QUICK.stalledIntervalMs)],
      { stdio: 'ignore', env: { ...process.env, FPGA_LLM_SIM_CACHE: testCache().directory } },
    );
    const queue = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      let active: string[] = [];
      while (active.length === 0) {
        active = (await queue.getActive()).map((job) => job.id!);
        await sleep(20);
      }
      const exited = new Promise((resolve) => killed.once('exit', resolve));
      killed.kill('SIGKILL');
      await exited;
      const survivor = await runQueueWorker({ url: redis.url, queueName, threads: 1, idleExitMs: 0, ...QUICK });
      const result = await submitted;
      assert.deepEqual(
        result.rows.map((row) => row.status),
        ['ok', 'ok', 'ok'],
      );
      assert.equal(new Set(result.rows.map((row) => row.key)).size, 3, 'each point once');
      assert.equal(survivor.processed, 3, 'the survivor ran every point, the killed one again');
      const retried = await queue.getJob(active[0]!);
      assert.ok(retried !== undefined && retried.attemptsStarted >= 2 && retried.stalledCounter >= 1, `job ${active[0]} was started ${retried?.attemptsStarted} times, stalled ${retried?.stalledCounter}`);
    } finally {
      killed.kill('SIGKILL');
      await queue.close();
    }
  });

  test('sweep --queue writes the table a local run writes; a point already done is not run again', { timeout: 60_000 }, async () => {
    const specPath = join(directory, 'queue.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(specPath, JSON.stringify({ ...tinySweepSpec(directory), name: 'queued' }));
    const [local, queued] = [join(directory, 'local'), join(directory, 'queued')];
    assert.equal((await runMain(['sweep', specPath, '--out', local, '--jobs', '1', '--no-figures', '--allow-failures'])).code, 0);
    const cli = runMain(['sweep', specPath, '--out', queued, '--queue', redis.url, '--queue-name', 'cli', '--no-figures', '--allow-failures']);
    await enqueued(redis, { queueName: 'cli', jobs: 4 });
    const worker = await runQueueWorker({ url: redis.url, queueName: 'cli', threads: 1, idleExitMs: 0, ...QUICK });
    const done = await cli;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(readFileSync(join(queued, RESULTS_CSV), 'utf8'), readFileSync(join(local, RESULTS_CSV), 'utf8'));
    assert.equal(worker.processed, 4, 'the 4 points whose boards load; the 4 others failed before reaching the queue');
    const again = await runMain(['sweep', specPath, '--out', join(directory, 'again'), '--queue', redis.url, '--queue-name', 'cli', '--no-figures', '--allow-failures']);
    assert.equal(again.code, 0, 'finished jobs are kept: their results come back without a worker');
    assert.equal(readFileSync(join(directory, 'again', RESULTS_CSV), 'utf8'), readFileSync(join(local, RESULTS_CSV), 'utf8'));
    // --force: the results the queue keeps are not reused either; the points run again.
    const forced = runMain(['sweep', specPath, '--out', join(directory, 'forced'), '--queue', redis.url, '--queue-name', 'cli', '--no-figures', '--allow-failures', '--force']);
    await enqueued(redis, { queueName: 'cli', jobs: 4, unfinished: true });
    const rerun = await runQueueWorker({ url: redis.url, queueName: 'cli', threads: 1, idleExitMs: 0, ...QUICK });
    assert.equal((await forced).code, 0);
    assert.equal(rerun.processed, 4, 'every point ran again');
  });

  test('with no worker connected, a sweep says so and gives up after the timeout; its jobs stay queued', { timeout: 30_000 }, async () => {
    const notices: string[] = [];
    const single = parseSweepSpec({ ...tinySweepSpec(directory), axes: { set: { 'hbm.bandwidthGiBps': [409.6] } } });
    const executor = queueExecutor({ url: redis.url, queueName: 'nobody', pollMs: 100, noWorkerTimeoutMs: 600, onNotice: (notice) => notices.push(notice) });
    await assert.rejects(sweep(single, { executor, cache: testCache() }), (error: unknown) => error instanceof UserError && /^no worker ran the points of queue nobody at redis:\/\/127\.0\.0\.1:\d+ for 0\.6 s: 1 points are still queued/.test(error.message));
    assert.match(notices[0] ?? '', /no worker is connected to queue nobody .*fpga-llm-sim worker --queue/);
    const queue = new Queue('nobody', { connection: { host: '127.0.0.1', port: redis.port } });
    assert.equal(await queue.getJobCountByTypes('waiting'), 1);
    await queue.close();
  });

  test('a database the Redis does not have is an error, not database 0', async () => {
    await assert.rejects(checkRedis(parseRedisUrl(`${redis.url}/99`)), (error: unknown) => error instanceof UsageError && /this Redis has no database 99: ERR DB index is out of range/.test(error.message));
    await checkRedis(parseRedisUrl(`${redis.url}/3`));
  });

  test("a worker's result that fails its schema is reported and runs once more; twice, and the point is an error", { timeout: 30_000 }, async () => {
    const single = parseSweepSpec({ ...tinySweepSpec(directory), axes: { set: { 'hbm.bandwidthGiBps': [409.6] } } });
    const garbage = (job: { data: PointJob }) => ({ key: job.data.key, ok: true, evaluations: {}, metrics: { decodeTokensPerSecond: 'fast' } });
    for (const [queueName, answers, status] of [
      ['garbage-once', [garbage, (job: { data: PointJob }) => runPointJob(job.data)], 'ok'],
      ['garbage-twice', [garbage, garbage], 'error'],
    ] as const) {
      let calls = 0;
      const worker = new Worker(queueName, async (job) => answers[Math.min(calls++, 1)]!(job), { connection: { host: '127.0.0.1', port: redis.port } });
      try {
        const rejections: string[] = [];
        const result = await sweep(single, { executor: queueExecutor({ url: redis.url, queueName, pollMs: 100, onRejected: (rejection) => rejections.push(rejection.reason) }), cache: testCache() });
        assert.equal(result.rows[0]!.status, status, result.rows[0]!.error);
        assert.match(rejections[0] ?? '', /metrics\.decodeTokensPerSecond/);
        assert.equal(calls, 2);
      } finally {
        await worker.close();
      }
    }
  });
});

describe('queue names', () => {
  test('a name BullMQ cannot keep is refused before Redis is reached', () => {
    for (const name of ['a:b', '', 'x'.repeat(101), '-lead']) assert.throws(() => queueExecutor({ url: 'redis://127.0.0.1:1', queueName: name }), (error: unknown) => error instanceof UsageError && /invalid --queue-name/.test(error.message), name);
  });
});
