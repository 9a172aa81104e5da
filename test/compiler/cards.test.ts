import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileTarget } from '../../src/backends/index.js';
import { compileModel, planCards } from '../../src/compiler/index.js';
import { ModelError } from '../../src/errors.js';
import { loadModel, PrecisionSchema } from '../../src/model/index.js';
import { shippedHardware, thrown, TINY_MOE_ARCHITECTURE, tinyVariant } from '../helpers.js';

/*
 * Memory per card: each card's share of a model (a model description of its
 * own) holds its weights, every expert included, the KV cache of its
 * sequences and the step's activations; a card that cannot is refused with
 * its figures.
 */

const a = TINY_MOE_ARCHITECTURE;
const batch = { sequences: [{ newTokens: 1, context: 64 }] };
const FP16_BYTES = 2;

describe('memory per card', () => {
  test('a card holding half the experts holds half the routed experts’ weights, whatever the step runs', () => {
    const target = compileTarget(shippedHardware('a100-80gb-sxm'));
    const whole = tinyVariant({ ...a }, { precision: 'FP16' });
    const half = tinyVariant({ ...a, n_routed_experts: a.n_routed_experts / 2 }, { precision: 'FP16' });
    const [wholeCard, halfCard] = planCards([{ model: whole, target }, { model: half, target }], batch);
    const expertBytes = 3 * a.hidden_size * a.moe_intermediate_size * FP16_BYTES;
    // The router of half the experts is half as wide as well.
    const routerBytes = (a.hidden_size * a.n_routed_experts * FP16_BYTES) / 2;
    assert.equal(wholeCard!.memory.weightBytes - halfCard!.memory.weightBytes, (a.n_routed_experts / 2) * expertBytes + routerBytes);
    assert.ok(wholeCard!.fits && halfCard!.fits);
  });

  test('a deployment with a card too small is refused naming that card, with what it needs and what it has', () => {
    const big = compileTarget(shippedHardware('a100-80gb-sxm'));
    const small = compileTarget(shippedHardware('a100-80gb-sxm', { 'memory.capacityGiB': 0.01 }));
    const model = tinyVariant({ ...a }, { precision: 'FP16' });
    const error = thrown(ModelError, () => planCards([{ model, target: big, label: 'card 0' }, { model, target: small, label: 'card 1' }], batch));
    assert.match(error.message, /^Tiny variant does not fit on 1 of its 2 cards: card 1: the device memory the serving stack may use: it needs \d+\.\d\d GiB of weights \(all 8 routed experts of each sparse layer\) \+ \d+\.\d\d GiB of KV cache \(65 tokens of 1 sequence\) \+ \d+\.\d\d GiB of activations = \d+\.\d\d GiB, and a100-80gb-sxm has 0\.01 GiB/);
    assert.doesNotMatch(error.message, /card 0/);
  });

  test("Mixtral-8x7B in FP16 does not fit one H100 (gpt-fast's README: bf16 on 1 GPU is out of memory): 46.6B parameters × 2 bytes of weights", () => {
    const mixtral = loadModel('mixtral-8x7b').model;
    const fp16 = { ...mixtral, mapping: { ...mixtral.mapping, precision: PrecisionSchema.parse('FP16') } };
    const error = thrown(ModelError, () => compileModel(fp16, { batch, target: compileTarget(shippedHardware('h100-sxm')) }));
    const match = /^Mixtral-8x7B does not fit in the device memory the serving stack may use of h100-sxm: it needs (\d+\.\d\d) GiB of weights \(all 8 routed experts of each sparse layer\)/.exec(error.message);
    assert.ok(match !== null, error.message);
    assert.ok(Number(match[1]) >= (46.5e9 * FP16_BYTES) / 2 ** 30, match[1]);
  });
});
