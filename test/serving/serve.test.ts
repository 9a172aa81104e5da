import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createStepCostModel } from '../../src/cost/index.js';
import { profileCases } from '../../src/profiler/index.js';
import { serve, type BatchPolicy, type RequestSpec, type ServeOptions, type Sequence, type StepRecord } from '../../src/serving/index.js';
import { uniquePrompt } from '../../src/serving/request.js';
import { tinyModel, vhk158Hardware } from '../helpers.js';

/*
 * A serving run checked for consistency with itself and with the batch-1
 * profile: no expected latency is written here.
 */

const model = tinyModel();
const hardware = vhk158Hardware();
const costs = createStepCostModel({ hardware, model });

const base = (extra: Partial<ServeOptions> = {}): ServeOptions => ({ hardware, model, costs, workload: { datasetName: 'random', numPrompts: 40, randomInputLen: 200, randomOutputLen: 40, randomRangeRatio: 0.5, requestRate: 4, seed: 3 }, ...extra });

const request = (id: number, prompt: number, output: number, arrivalMs = 0): RequestSpec => ({ id, arrivalMs, prompt: [uniquePrompt(id, prompt)], promptTokens: prompt, outputTokens: output });

describe('the sequential policy at concurrency 1', () => {
  test("reproduces profile: TTFT is the prefill, the decode steps add up to profile's decode time, padding included", async () => {
    const [prompt, generated] = [100, 20];
    const profiled = (await profileCases({ hardware, cases: [{ batch: 1, prompt, generated }], source: { kind: 'model', model }, threads: 1 })).cases[0]!.device;
    for (const exact of [true, false]) {
      const { requests } = serve({ ...base(), workload: { requests: [request(0, prompt, generated + 1), request(1, prompt, generated + 1)] }, policy: 'sequential', maxConcurrency: 1, exact });
      const tolerance = exact ? 1e-9 : 0.02;
      for (const r of requests) {
        assert.ok(Math.abs(r.ttftMs / profiled.prefillMs - 1) <= tolerance, `TTFT ${r.ttftMs} against prefill ${profiled.prefillMs}`);
        assert.ok(Math.abs((r.e2elMs - r.ttftMs) / profiled.decodeMs - 1) <= tolerance, `decode ${r.e2elMs - r.ttftMs} against ${profiled.decodeMs}`);
      }
      // One at a time: the second is sent when the first completes.
      assert.equal(requests[1]!.sentMs, requests[0]!.finishedMs);
    }
  });
});

describe('a serving run', () => {
  const steps: StepRecord[] = [];
  const run = serve({ ...base(), maxNumSeqs: 6, maxNumBatchedTokens: 160, onStep: (step) => steps.push(step) });

  test("obeys Little's law: mean requests in the system = request throughput × mean end-to-end latency", () => {
    const r = run.result;
    assert.ok(Math.abs(r.mean_requests_in_system / r.littles_law_requests - 1) <= 0.02, `${r.mean_requests_in_system} against ${r.littles_law_requests}`);
    assert.ok(Math.abs(r.littles_law_requests - r.request_throughput * (r.mean_e2el_ms / 1000)) < 1e-9);
  });

  test('produces every requested output token', () => {
    assert.equal(run.requests.length, 40);
    const r = run.result;
    assert.equal(r.total_output_tokens, run.requests.reduce((sum, x) => sum + x.outputTokens, 0));
    for (const x of run.requests) assert.equal(x.itlMs.length, x.outputTokens - 1);
  });

  test('never runs more sequences or tokens in a step than its limits', () => {
    for (const step of steps) {
      assert.ok(step.batch.sequences.length <= 6);
      assert.ok(step.batch.sequences.reduce((sum, s) => sum + s.newTokens, 0) <= 160);
    }
  });

  test('time only moves forward, and every request is sent before it is scheduled, scheduled before its first token', () => {
    steps.forEach((step, index) => assert.ok(index === 0 || step.startMs >= steps[index - 1]!.endMs - 1e-9));
    for (const x of run.requests) assert.ok(x.sentMs <= x.scheduledMs && x.scheduledMs < x.firstTokenMs && x.firstTokenMs <= x.finishedMs);
  });

  test('gives the same result for the same seed', () => {
    const again = serve({ ...base(), maxNumSeqs: 6, maxNumBatchedTokens: 160 });
    assert.deepEqual(again.result, run.result);
  });
});

describe('a KV cache too small for the load', () => {
  test('preempts and recomputes, and still completes every request', () => {
    const workload = { datasetName: 'random' as const, numPrompts: 40, randomInputLen: 200, randomOutputLen: 40, randomRangeRatio: 0.5, seed: 3 };
    const { result, requests } = serve({ ...base(), workload, numGpuBlocksOverride: 40, maxConcurrency: 12 });
    assert.ok((result['preemptions'] as number) > 0, 'no preemption');
    assert.equal(requests.length, 40);
    assert.ok(requests.every((r) => r.itlMs.length === r.outputTokens - 1));
    assert.ok((result['peak_kv_cache_usage'] as number) <= 1);
  });
});

describe('prefix caching on a multi-turn workload', () => {
  test('serves the shared prefix and the history from the cache, lowering mean TTFT', () => {
    const workload = { datasetName: 'multiturn' as const, numPrompts: 24, multiturnTurns: 4, multiturnPrefixLen: 512, multiturnInputLen: 32, multiturnOutputLen: 24, requestRate: 2, seed: 1 };
    const cached = serve({ ...base(), workload, enablePrefixCaching: true }).result;
    const uncached = serve({ ...base(), workload, enablePrefixCaching: false }).result;
    assert.ok((cached['prefix_cache_hit_rate'] as number) > 0.5, `hit rate ${cached['prefix_cache_hit_rate']}`);
    assert.equal(uncached['prefix_cache_hit_rate'], 0);
    assert.ok((cached['mean_ttft_ms'] as number) < (uncached['mean_ttft_ms'] as number));
  });

  test('sends each turn after the reply before it', () => {
    const workload = { datasetName: 'multiturn' as const, numPrompts: 8, multiturnTurns: 4, multiturnPrefixLen: 64, multiturnInputLen: 16, multiturnOutputLen: 8 };
    const { requests } = serve({ ...base(), workload });
    for (const r of requests) if (r.id % 4 !== 0) assert.ok(r.sentMs >= requests[r.id - 1]!.finishedMs);
  });
});

describe('static batches', () => {
  test('start together and return together, padded to the longest', () => {
    const { requests } = serve({ ...base(), workload: { requests: [request(0, 50, 5), request(1, 120, 30), request(2, 80, 12), request(3, 60, 9)] }, policy: 'static', maxNumSeqs: 2 });
    for (const pair of [[0, 1], [2, 3]] as const) {
      const [a, b] = pair.map((id) => requests[id]!);
      assert.equal(a!.scheduledMs, b!.scheduledMs);
      assert.equal(a!.finishedMs, b!.finishedMs);
    }
    assert.ok(requests[2]!.scheduledMs >= requests[0]!.finishedMs);
  });
});

describe('a policy of your own', () => {
  test('plugs into serve() as an object: shortest prompt first, one request at a time', () => {
    const order: number[] = [];
    const shortestFirst: BatchPolicy = {
      name: 'shortest-first',
      schedule(view) {
        const current = view.running[0];
        if (current !== undefined) return view.grow(current, 1) ? { work: [{ sequence: current, newTokens: 1 }] } : undefined;
        if (view.waiting.length === 0) return undefined;
        // Bring the shortest waiting prompt to the front, then admit it whole.
        const shortest = [...view.waiting].sort((a, b) => a.spec.promptTokens - b.spec.promptTokens)[0]!;
        const queue = view.waiting as Sequence[];
        queue.splice(queue.indexOf(shortest), 1);
        queue.unshift(shortest);
        const newTokens = view.admitFirst((pending) => pending);
        if (newTokens === undefined) return undefined;
        order.push(shortest.spec.id);
        return { work: [{ sequence: shortest, newTokens }] };
      },
      completed: (running) => running.filter((s) => s.done),
    };
    const prompts = [300, 100, 200, 50];
    const { result, requests } = serve({ ...base(), workload: { requests: prompts.map((p, id) => request(id, p, 3)) }, policy: shortestFirst });
    assert.deepEqual(order, [3, 1, 2, 0]);
    assert.equal(result.policy, 'shortest-first');
    // One at a time: each finishes before the next is scheduled.
    const byStart = [...requests].sort((a, b) => a.scheduledMs - b.scheduledMs);
    for (let i = 1; i < byStart.length; i++) assert.ok(byStart[i]!.scheduledMs >= byStart[i - 1]!.finishedMs);
  });
});
