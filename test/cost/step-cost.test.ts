import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { BatchShape } from '../../src/batch.js';
import { simulate } from '../../src/backends/index.js';
import { compileModel, generatedMasks } from '../../src/compiler/index.js';
import { createStepCostModel, type StepCostModel } from '../../src/cost/index.js';
import { ModelError } from '../../src/errors.js';
import { loadModel } from '../../src/model/index.js';
import { ROOT, shippedHardware, thrown } from '../helpers.js';
import { join } from 'node:path';
import { compileTarget } from '../../src/backends/index.js';

/*
 * What a batched step costs, checked against physics and against the batch-1
 * figures the simulator already gives: no expected latency is written here.
 */

const llama2 = loadModel(join(ROOT, 'ir', 'llama2-7b.yaml')).model;
const models = new Map<string, StepCostModel>();
function costs(board: 'vhk158' | 'u250'): StepCostModel {
  let model = models.get(board);
  if (model === undefined) {
    model = createStepCostModel({ hardware: shippedHardware(board), model: llama2 });
    models.set(board, model);
  }
  return model;
}

const decodes = (count: number, context: number): BatchShape => ({ sequences: Array.from({ length: count }, () => ({ newTokens: 1, context })) });

describe('a batch of one is the batch-1 simulation', () => {
  for (const board of ['vhk158', 'u250'] as const) {
    test(`${board}: a prompt of 128 and a decode at 512 cost exactly what FlightLLM's prefill_token_128 and decode_token_512 cost`, () => {
      const hw = shippedHardware(board);
      const masks = board === 'vhk158' ? generatedMasks(llama2, compileTarget(hw)) : undefined;
      const prefill = simulate(compileModel(llama2, { stage: 'prefill', tokens: 128, target: compileTarget(hw) }).ir, hw, { masks }).totalMs;
      const decode = simulate(compileModel(llama2, { stage: 'decode', tokens: 512, target: compileTarget(hw) }).ir, hw, { masks }).totalMs;
      assert.equal(costs(board).exact({ sequences: [{ newTokens: 128, context: 0 }] }).totalMs, prefill);
      assert.equal(costs(board).exact({ sequences: [{ newTokens: 1, context: 511 }] }).totalMs, decode);
    });
  }
});

describe('decode batches', () => {
  for (const board of ['vhk158', 'u250'] as const) {
    test(`${board}: a step takes no less time with more sequences, and no more time per token`, () => {
      let previous = { totalMs: 0, perTokenMs: Infinity };
      for (const count of [1, 2, 4, 8, 16, 32, 64]) {
        const cost = costs(board).fast(decodes(count, 200));
        const perTokenMs = cost.totalMs / count;
        assert.ok(cost.totalMs >= previous.totalMs, `B = ${count}: ${cost.totalMs} ms after ${previous.totalMs} ms`);
        assert.ok(perTokenMs <= previous.perTokenMs * (1 + 1e-9), `B = ${count}: ${perTokenMs} ms per token after ${previous.perTokenMs}`);
        previous = { totalMs: cost.totalMs, perTokenMs };
      }
    });
  }

  test('one decode runs every projection row by row on the MV engine; 64 decodes run them on the MM engine', () => {
    const one = costs('vhk158').exact(decodes(1, 100));
    const many = costs('vhk158').fast(decodes(64, 100));
    assert.ok(Object.values(one.engines).every((engine) => engine === 'mv'));
    assert.ok(['q', 'k', 'v', 'o', 'gate', 'up', 'down'].every((p) => many.engines[p as 'q'] === 'mm'), JSON.stringify(many.engines));
  });
});

describe('batching', () => {
  const mixed: BatchShape = { sequences: [{ newTokens: 1, context: 1000 }, { newTokens: 1, context: 40 }, { newTokens: 96, context: 0 }, { newTokens: 40, context: 200 }] };

  for (const board of ['vhk158', 'u250'] as const) {
    test(`${board}: a mixed step is never slower than its sequences one by one`, () => {
      const together = costs(board).exact(mixed).totalMs;
      const apart = mixed.sequences.reduce((sum, s) => sum + costs(board).exact({ sequences: [s] }).totalMs, 0);
      assert.ok(together <= apart, `together ${together} ms, one by one ${apart} ms`);
    });

    test(`${board}: no step is faster than its physical bound`, () => {
      for (const batch of [mixed, decodes(16, 900), { sequences: [{ newTokens: 300, context: 700 }] }]) {
        const cost = costs(board).exact(batch);
        assert.ok(cost.totalMs >= cost.boundMs, `${cost.totalMs} ms below the bound ${cost.boundMs} ms`);
      }
    });
  }

  test('the busy time of every module fits in the step', () => {
    const cost = costs('vhk158').exact(mixed);
    for (const [name, busyMs] of Object.entries(cost.modules)) assert.ok(busyMs <= cost.totalMs + 1e-9, `${name} busy ${busyMs} ms in a ${cost.totalMs} ms step`);
  });
});

describe('the fast path', () => {
  /** Seeded random batches: decodes at any context, some prompt chunks after a context; at most 15,000 tokens of KV cache (the VHK158 holds 18,576). */
  function randomBatches(seed: number, count: number): BatchShape[] {
    const rng = xoroshiro128plus(seed);
    const int = (from: number, to: number) => uniformInt(rng, from, to);
    return Array.from({ length: count }, () => {
      const sequences = Array.from({ length: int(1, 24) }, () => (int(0, 4) === 0 ? { newTokens: int(2, 200), context: int(0, 900) } : { newTokens: 1, context: int(1, 2000) }));
      let tokens = 0;
      return { sequences: sequences.filter((s) => (tokens += s.context + s.newTokens) <= 15_000) };
    });
  }

  for (const board of ['vhk158', 'u250'] as const) {
    test(`${board}: within 2 % of exact on seeded random batches, with the same engines`, () => {
      for (const batch of randomBatches(11, 4)) {
        const exact = costs(board).exact(batch);
        const fast = costs(board).fast(batch);
        const error = Math.abs(fast.totalMs / exact.totalMs - 1);
        assert.ok(error <= 0.02, `${(error * 100).toFixed(2)} % on ${JSON.stringify(batch.sequences)}`);
        assert.ok(Math.abs(fast.boundMs / exact.boundMs - 1) <= 0.02);
      }
    });
  }

  test('gives the same answer from a warm cache', () => {
    const cache = new (class {
      readonly saved = new Map<string, unknown>();
      get<T>(kind: string, key: string): T | undefined {
        return this.saved.get(`${kind}/${key}`) as T | undefined;
      }
      set(kind: string, key: string, value: unknown): void {
        this.saved.set(`${kind}/${key}`, JSON.parse(JSON.stringify(value)));
      }
    })();
    const batch = { sequences: [{ newTokens: 1, context: 77 }, { newTokens: 33, context: 10 }] };
    const first = createStepCostModel({ hardware: shippedHardware('u250'), model: llama2, cache: cache as never });
    const cold = first.fast(batch);
    first.flush();
    assert.equal(cache.saved.size, 1);
    const second = createStepCostModel({ hardware: shippedHardware('u250'), model: llama2, cache: cache as never });
    assert.deepEqual(second.fast(batch), cold);
  });
});

describe('memory for serving', () => {
  test('a batch whose KV cache exceeds the free memory is refused with the numbers', () => {
    const { capacity } = costs('vhk158');
    const perSequence = Math.floor(costs('vhk158').maxTokens / capacity.blockTokens) * capacity.blockTokens;
    const sequences = Math.floor(capacity.tokens / perSequence) + 1;
    const error = thrown(ModelError, () => costs('vhk158').fast(decodes(sequences, perSequence - 1)));
    assert.match(error.message, new RegExp(`need ${sequences * (perSequence / capacity.blockTokens)} blocks of ${capacity.blockTokens} tokens`));
    assert.match(error.message, new RegExp(`leaves ${capacity.blocks} blocks`));
  });

  test('a sequence longer than the model allows is refused, naming the sequence', () => {
    const error = thrown(ModelError, () => costs('vhk158').exact({ sequences: [{ newTokens: 1, context: 10 }, { newTokens: 10, context: 2040 }] }));
    assert.match(error.message, /sequences\[1\]: context 2040 \+ 10 new tokens = 2050 exceeds vhk158's limit of 2048 tokens \(sparsity\.maxTokens\)/);
  });

  test('zero new tokens is refused', () => {
    assert.match(thrown(ModelError, () => costs('u250').fast({ sequences: [{ newTokens: 0, context: 10 }] })).message, /sequences\[0\]\.newTokens: expected a positive integer, got 0/);
  });
});
