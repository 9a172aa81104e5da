import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BatchShape } from '../../src/batch.js';
import type { StepCost } from '../../src/cost/index.js';
import { createPolicy, KvBlockManager, runLoop, uniquePrompt, type BatchPolicy, type RequestSpec, type StepRecord } from '../../src/serving/index.js';

/*
 * The event loop on hand-made scenarios, with a step cost we write down
 * (1 ms a step plus 0.01 ms a token), so every time below follows from the
 * scenario by hand.
 */

const stepMs = (batch: BatchShape) => 1 + 0.01 * batch.sequences.reduce((sum, s) => sum + s.newTokens, 0);
const cost = (batch: BatchShape): StepCost => ({
  path: 'fast',
  totalMs: stepMs(batch),
  boundMs: stepMs(batch) / 2,
  bound: { memoryMs: stepMs(batch) / 2, computeMs: 0, limit: 'memory' },
  modules: { ENGINE: stepMs(batch) },
  engines: {} as StepCost['engines'],
  rows: batch.sequences.reduce((sum, s) => sum + s.newTokens, 0),
  dynamicJ: 0,
  energy: undefined,
});

const request = (id: number, promptTokens: number, outputTokens: number, arrivalMs = 0): RequestSpec => ({ id, arrivalMs, prompt: [uniquePrompt(id, promptTokens)], promptTokens, outputTokens });
const sharing = (id: number, prefix: number, own: number, outputTokens: number, after?: number): RequestSpec => ({ id, arrivalMs: 0, after, prompt: [{ content: 99, length: prefix }, uniquePrompt(id, own)], promptTokens: prefix + own, outputTokens });

const vllm = (budget: number, maxNumSeqs = 16) => createPolicy('vllm', { maxNumSeqs, maxNumBatchedTokens: budget, enableChunkedPrefill: true, padTokens: { prefill: 1, decode: 1 }, maxTokens: 4096 });

function run(requests: RequestSpec[], o: { policy: BatchPolicy; blocks: number; prefixCaching?: boolean; maxConcurrency?: number }) {
  const steps: StepRecord[] = [];
  const done: Array<{ id: number; preemptions: number; cachedTokens: number; finishedMs: number }> = [];
  const kv = new KvBlockManager({ blocks: o.blocks, blockTokens: 16, prefixCaching: o.prefixCaching ?? false });
  const totals = runLoop({
    requests,
    policy: o.policy,
    kv,
    cost,
    maxConcurrency: o.maxConcurrency ?? Infinity,
    onComplete: (s) => done.push({ id: s.spec.id, preemptions: s.preemptions, cachedTokens: s.cachedTokens, finishedMs: s.finishedMs! }),
    onStep: (step) => steps.push(step),
  });
  return { steps, done, totals, kv };
}

describe('the serving loop', () => {
  test('runs a prompt chunk beside running decodes in one step, within the token budget', () => {
    // A 100-token prompt, then a 300-token prompt arriving once the first decodes; budget 64 tokens a step.
    const { steps } = run([request(0, 100, 8), request(1, 300, 2, 3)], { policy: vllm(64), blocks: 64 });
    for (const step of steps) assert.ok(step.work.reduce((sum, w) => sum + w.newTokens, 0) <= 64, 'a step never exceeds the budget');
    const mixed = steps.find((s) => s.work.some((w) => w.id === 0 && w.newTokens === 1) && s.work.some((w) => w.id === 1 && w.newTokens > 1));
    assert.ok(mixed !== undefined, 'a decode of request 0 shares a step with a chunk of request 1');
    assert.equal(mixed.work.find((w) => w.id === 1)!.newTokens, 63, 'the chunk takes what the decode leaves of the budget');
    // Every prompt token is computed once and every output token sampled: the tokens computed add up.
    const computed = steps.reduce((sum, s) => sum + s.work.reduce((n, w) => n + w.newTokens, 0), 0);
    assert.equal(computed, 100 + 300 + (8 - 1) + (2 - 1));
  });

  test('preempts the latest admitted sequence when blocks run out, and recomputes it', () => {
    // Two requests whose prompts fit together but whose outputs do not: 6 blocks of 16 tokens.
    const { done, steps } = run([request(0, 40, 30), request(1, 40, 30)], { policy: vllm(256), blocks: 6 });
    const byId = new Map(done.map((d) => [d.id, d]));
    assert.equal(byId.get(0)!.preemptions, 0, 'the first admitted runs on');
    assert.ok(byId.get(1)!.preemptions >= 1, 'the later one is preempted');
    // Recomputation: request 1's prompt is computed more than once in all.
    const promptWork = steps.reduce((sum, s) => sum + s.work.filter((w) => w.id === 1 && w.newTokens > 1).reduce((n, w) => n + w.newTokens, 0), 0);
    assert.ok(promptWork > 40, `request 1 computed ${promptWork} tokens in prompt steps`);
    for (const step of steps) assert.ok(step.kvBlocksUsed <= 6);
  });

  test('a follow-up turn finds its conversation in the prefix cache and computes only what is new', () => {
    // Turn two repeats turn one's 64-token prompt; a 16-token block boundary at 64 makes four whole blocks shareable.
    const { done, kv } = run([sharing(0, 64, 8, 4), sharing(1, 64, 40, 4, 0)], { policy: vllm(512), blocks: 64, prefixCaching: true });
    const second = done.find((d) => d.id === 1)!;
    assert.equal(second.cachedTokens, 64);
    assert.deepEqual(kv.prefixStats, { queriedTokens: 72 + 104, hitTokens: 64 });
  });

  test("keeps time: each step ends when its cost says, and Little's law holds over the run", () => {
    const requests = [request(0, 32, 4, 0), request(1, 32, 4, 10), request(2, 32, 4, 20)];
    const { steps, done, totals } = run(requests, { policy: vllm(128), blocks: 32 });
    for (const s of steps) assert.ok(Math.abs(s.endMs - s.startMs - stepMs(s.batch)) < 1e-12);
    const e2e = done.map((d) => d.finishedMs - requests[d.id]!.arrivalMs);
    // L = λW exactly over the whole run: the integral of requests in the system equals the sum of their times in it.
    assert.ok(Math.abs(totals.requestMs - e2e.reduce((a, b) => a + b, 0)) < 1e-9);
  });

  test('a client slot limits requests in flight', () => {
    const { totals } = run([0, 1, 2, 3, 4].map((id) => request(id, 16, 3)), { policy: vllm(256), blocks: 64, maxConcurrency: 2 });
    assert.equal(totals.peakConcurrency, 2);
  });
});
