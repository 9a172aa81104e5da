import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parallelLayout } from '../../src/parallel/index.js';
import { serve, type ReplicaRouter, type ServeOptions } from '../../src/serving/index.js';
import { shippedHardware, testCache, tinyModel } from '../helpers.js';

/*
 * Data parallelism: replicas behind a router. Checked against what must
 * hold whatever the step costs are: Little's law over the whole system,
 * every request served once, a round-robin router's even split, replicas
 * that never slow a saturated workload down, and the idle power of every
 * card.
 */

const hardware = shippedHardware('a100-80gb-sxm');
const model = tinyModel({ precision: 'FP16' });
const base = (dataParallelSize: number, extra: Partial<ServeOptions> = {}): ServeOptions => ({
  hardware,
  model,
  workload: { datasetName: 'random', numPrompts: 48, randomInputLen: 96, randomOutputLen: 32, randomRangeRatio: 0.5, requestRate: 400, seed: 3 },
  maxNumSeqs: 8,
  // An A100 holds millions of the tiny model's KV blocks; a few thousand serve these workloads.
  numGpuBlocksOverride: 4096,
  cache: testCache(),
  parallel: { layout: parallelLayout({ dataParallelSize }) },
  ...extra,
});

describe('replicas behind a router', () => {
  for (const router of ['round-robin', 'least-loaded'] as const) {
    test(`${router}: Little's law holds over the replicas, and every request is served once`, () => {
      const { result, requests } = serve(base(3, { router }));
      assert.equal(requests.length, 48);
      assert.ok(Math.abs(result.mean_requests_in_system / result.littles_law_requests - 1) < 1e-9, `${result.mean_requests_in_system} against ${result.littles_law_requests}`);
      assert.equal(result.parallel?.replica_requests.reduce((a, b) => a + b, 0), 48);
      assert.equal(result.parallel?.router, router);
    });
  }

  test('round-robin sends the n-th request to replica n mod 3: 48 requests, 16 each', () => {
    const { result } = serve(base(3, { router: 'round-robin' }));
    assert.deepEqual(result.parallel?.replica_requests, [16, 16, 16]);
  });

  test('a router of one’s own is asked for every request, with each replica’s load', () => {
    const seen: number[] = [];
    const router: ReplicaRouter = { name: 'always-last', route: (_request, replicas) => (seen.push(replicas.length), replicas.length - 1) };
    const { result } = serve(base(2, { router }));
    assert.deepEqual(result.parallel?.replica_requests, [0, 48]);
    assert.equal(seen.length, 48);
    assert.ok(seen.every((n) => n === 2));
  });

  test('with more replicas a saturated workload finishes no later, and no replica is busier than the run is long', () => {
    const saturated = (dp: number) => serve(base(dp, { workload: { datasetName: 'random', numPrompts: 48, randomInputLen: 96, randomOutputLen: 32, requestRate: Infinity } })).result;
    const one = saturated(1);
    const two = saturated(2);
    assert.ok(two.duration < one.duration, `${two.duration} s against ${one.duration} s`);
    assert.ok(one.duration / two.duration <= 2 + 1e-9);
    for (const share of Object.values(two.module_busy_share)) assert.ok(share <= 1 + 1e-9);
  });

  test('every card draws at least its idle power for the whole run', () => {
    const { result } = serve(base(3));
    const idleJ = 3 * hardware.energy!.idleWatts * result.duration;
    assert.ok(result.energy_joules! >= idleJ);
    assert.equal(result.parallel?.cards, 3);
  });

  test('one replica reports no parallel fields, as before data parallelism', () => {
    const { result } = serve(base(1));
    assert.equal(result.parallel, undefined);
  });
});
