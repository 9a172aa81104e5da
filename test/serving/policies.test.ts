import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPolicy, KvBlockManager, SchedulerState, Sequence, uniquePrompt, type PolicyOptions } from '../../src/serving/index.js';

/* Each batch policy deciding one step over queues we set up by hand. */

const options = (o: Partial<PolicyOptions> = {}): PolicyOptions => ({ maxNumSeqs: 8, maxNumBatchedTokens: 100, enableChunkedPrefill: true, padTokens: { prefill: 64, decode: 16 }, maxTokens: 4096, ...o });

function queues(prompts: number[], blocks = 64) {
  const state = new SchedulerState(new KvBlockManager({ blocks, blockTokens: 16, prefixCaching: false }), { nowMs: 0 });
  prompts.forEach((promptTokens, id) => state.waiting.push(new Sequence({ id, arrivalMs: 0, prompt: [uniquePrompt(id, promptTokens)], promptTokens, outputTokens: 4 }, 0, 16)));
  return state;
}

describe('the vllm policy', () => {
  test('with chunked prefill, fills the token budget with prompts first come first served, the last one chunked', () => {
    const state = queues([30, 50, 80]);
    const step = createPolicy('vllm', options()).schedule(state)!;
    assert.deepEqual(step.work.map((w) => [w.sequence.spec.id, w.newTokens]), [[0, 30], [1, 50], [2, 20]]);
    assert.equal(state.running.length, 3);
    assert.equal(step.costBatch, undefined);
  });

  test('without chunked prefill, runs whole prompts while they fit, and decodes only when none does', () => {
    const policy = createPolicy('vllm', options({ enableChunkedPrefill: false, maxNumBatchedTokens: 4096 }));
    const state = queues([30, 50]);
    const first = policy.schedule(state)!;
    assert.deepEqual(first.work.map((w) => w.newTokens), [30, 50]);
    for (const { sequence, newTokens } of first.work) {
      sequence.computed += newTokens;
      sequence.emit(1);
    }
    const second = policy.schedule(state)!;
    assert.deepEqual(second.work.map((w) => w.newTokens), [1, 1], 'every running sequence decodes');
  });

  test('respects --max-num-seqs', () => {
    const step = createPolicy('vllm', options({ maxNumSeqs: 2, maxNumBatchedTokens: 1000 })).schedule(queues([10, 10, 10, 10]))!;
    assert.equal(step.work.length, 2);
  });
});

describe('the static policy', () => {
  test('starts a batch of prompts together, costed at the longest prompt, and releases it only when all are done', () => {
    const policy = createPolicy('static', options({ maxNumSeqs: 3 }));
    const state = queues([10, 40, 25, 60]);
    const step = policy.schedule(state)!;
    assert.equal(step.work.length, 3);
    assert.deepEqual(step.costBatch!.sequences, [0, 1, 2].map(() => ({ newTokens: 40, context: 0 })));
    const [a, b] = state.running;
    a!.generated = 4;
    assert.deepEqual(policy.completed(state.running), [], 'one done is not enough');
    b!.generated = 4;
    state.running[2]!.generated = 4;
    assert.equal(policy.completed(state.running).length, 3);
  });
});

describe('the sequential policy', () => {
  test('runs one request at a time, its prompt and decodes costed at padded lengths', () => {
    const policy = createPolicy('sequential', options());
    const state = queues([100, 20]);
    const prompt = policy.schedule(state)!;
    assert.equal(prompt.work.length, 1);
    assert.deepEqual(prompt.costBatch!.sequences, [{ newTokens: 128, context: 0 }], '100 tokens padded to a multiple of 64');
    const sequence = prompt.work[0]!.sequence;
    sequence.computed = 100;
    sequence.emit(1);
    const decode = policy.schedule(state)!;
    assert.deepEqual(decode.costBatch!.sequences, [{ newTokens: 1, context: 111 }], 'context 101 padded to a multiple of 16, less the new token');
    assert.equal(state.waiting.length, 1, 'the second request waits');
  });
});
