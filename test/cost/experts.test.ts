import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BatchShape } from '../../src/batch.js';
import type { Hardware } from '../../src/backends/index.js';
import { createStepCostModel } from '../../src/cost/index.js';
import type { Model } from '../../src/model/index.js';
import { Draws } from '../../src/serving/random.js';
import { shippedHardware, TINY_LATENT_ARCHITECTURE, TINY_MOE_ARCHITECTURE, tinyVariant, vhk158Hardware } from '../helpers.js';

/*
 * The fast cost path adds a step up from parts: for a mixture of experts one
 * token-wise layer of each kind (dense, sparse) scaled to the layers of its
 * kind, the experts' rows following the load assumption as the exact path's
 * do. It must agree with simulating the step whole.
 */

function randomBatches(seed: number, count: number): BatchShape[] {
  const draws = new Draws(seed);
  return Array.from({ length: count }, () => ({
    sequences: Array.from({ length: draws.int(1, 12) }, () => (draws.int(0, 3) === 0 ? { newTokens: draws.int(2, 100), context: draws.int(0, 400) } : { newTokens: 1, context: draws.int(1, 800) })),
  }));
}

function agree(hardware: Hardware, model: Model, tolerance: number): void {
  const costs = createStepCostModel({ hardware, model });
  for (const batch of randomBatches(3, 3)) {
    const exact = costs.exact(batch);
    const fast = costs.fast(batch);
    const error = Math.abs(fast.totalMs / exact.totalMs - 1);
    assert.ok(error <= tolerance, `${(error * 100).toFixed(3)} % on ${JSON.stringify(batch.sequences)}`);
    assert.ok(Math.abs(fast.boundMs / exact.boundMs - 1) <= tolerance);
    assert.deepEqual(fast.experts, exact.experts);
  }
}

describe('the fast cost of a step', () => {
  // On a GPU the token-wise parts are exact at every row count; attention is interpolated between probed contexts.
  test('of a mixture of experts on a GPU is within 0.5 % of the exact one', () => {
    agree(shippedHardware('a100-80gb-sxm'), tinyVariant({ ...TINY_MOE_ARCHITECTURE }, { precision: 'FP16' }), 0.005);
  });
  test('of latent attention on a GPU is within 0.5 % of the exact one', () => {
    agree(shippedHardware('a100-80gb-sxm'), tinyVariant({ ...TINY_LATENT_ARCHITECTURE }, { precision: 'FP16' }), 0.005);
  });
  test("of a mixture of experts on FlightLLM's architecture is within 2 % of the exact one", () => {
    agree(vhk158Hardware(), tinyVariant({ ...TINY_MOE_ARCHITECTURE }), 0.02);
  });
  test('reports the expert load it assumed and the experts the step runs', () => {
    const costs = createStepCostModel({ hardware: shippedHardware('a100-80gb-sxm'), model: tinyVariant({ ...TINY_MOE_ARCHITECTURE }, { precision: 'FP16', expertLoad: { distribution: 'zipf', exponent: 1.2 } }) });
    const experts = costs.fast({ sequences: [{ newTokens: 1, context: 10 }] }).experts!;
    assert.equal(experts.load, 'zipf:1.2');
    assert.equal(experts.activeExperts, TINY_MOE_ARCHITECTURE.num_experts_per_tok);
    assert.equal(experts.sparseLayers, TINY_MOE_ARCHITECTURE.num_hidden_layers - TINY_MOE_ARCHITECTURE.first_k_dense_replace);
  });
});
