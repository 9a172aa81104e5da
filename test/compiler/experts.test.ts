import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileTarget, rooflineKernels, type RooflineHardware, simulate, type Hardware } from '../../src/backends/index.js';
import { workOn } from '../../src/bound/index.js';
import { compileModel } from '../../src/compiler/index.js';
import { ModelError } from '../../src/errors.js';
import type { LayerOf } from '../../src/ir/index.js';
import type { Model } from '../../src/model/index.js';
import { physicalBound } from '../../src/bound/index.js';
import { shippedHardware, thrown, TINY_LATENT_ARCHITECTURE, TINY_MOE_ARCHITECTURE, tinyVariant, vhk158Hardware } from '../helpers.js';

/*
 * A mixture of experts' step reads the weights of the experts its tokens
 * touch: never fewer than one token's top-k (the active-parameter bound),
 * never more than every expert (the dense model's bytes). The bytes are
 * derived here from the tiny mixture's dimensions.
 */

const a = TINY_MOE_ARCHITECTURE;
const fp16 = tinyVariant({ ...a }, { precision: 'FP16' });
const a100 = (): RooflineHardware => {
  const hw = shippedHardware('a100-80gb-sxm');
  if (hw.kind !== 'roofline') throw new Error('a100-80gb-sxm is a roofline board');
  return hw;
};
const decode = (sequences: number, context = 64) => ({ sequences: Array.from({ length: sequences }, () => ({ newTokens: 1, context })) });
const compiled = (model: Model, hw: Hardware, sequences: number) => compileModel(model, { batch: decode(sequences), target: compileTarget(hw) });

// Weight matrices' parameters: attention in both layers, layer 0's dense network, layer 1's router and shared expert, the LM head.
const headDim = a.hidden_size / a.num_attention_heads;
const attention = a.hidden_size * headDim * (2 * a.num_attention_heads + 2 * a.num_key_value_heads);
const shared = 3 * a.hidden_size * a.moe_intermediate_size * a.n_shared_experts;
const everythingButRouted = 2 * attention + 3 * a.hidden_size * a.intermediate_size + a.hidden_size * a.n_routed_experts + shared + a.hidden_size * a.vocab_size;
const expert = 3 * a.hidden_size * a.moe_intermediate_size;
const FP16_BYTES = 2;

describe("a mixture of experts' step", () => {
  test('one token reads exactly its top-k experts: the active-parameter bytes', () => {
    const { weightBytes } = workOn(compiled(fp16, a100(), 1).ir, a100());
    assert.equal(weightBytes, (everythingButRouted + a.num_experts_per_tok * expert) * FP16_BYTES);
  });

  test('more tokens read more experts, never fewer than top-k nor more than all of them (the dense bytes)', () => {
    const lower = (everythingButRouted + a.num_experts_per_tok * expert) * FP16_BYTES;
    const upper = (everythingButRouted + a.n_routed_experts * expert) * FP16_BYTES;
    let previous = lower;
    for (const sequences of [1, 2, 3, 5, 8, 32]) {
      const { weightBytes } = workOn(compiled(fp16, a100(), sequences).ir, a100());
      assert.ok(weightBytes >= previous && weightBytes <= upper, `${sequences} tokens: ${weightBytes} bytes outside [${previous}, ${upper}]`);
      previous = weightBytes;
    }
    assert.equal(previous, upper, '32 tokens at top-2 of 8 touch every expert');
  });

  test('places every expert’s weights whatever the step runs, at the same addresses', () => {
    const one = compiled(fp16, a100(), 1);
    const many = compiled(fp16, a100(), 32);
    assert.equal(one.memory.weightBytes, many.memory.weightBytes);
    assert.ok(one.memory.weightBytes >= (everythingButRouted + a.n_routed_experts * expert) * FP16_BYTES);
    const addresses = (ir: typeof one.ir) => new Map(ir.flatMap((layer) => ('param' in layer ? layer.param.map((p) => [p.name, p.addr] as const) : [])));
    const few = addresses(one.ir);
    for (const [name, addr] of addresses(many.ir)) if (few.has(name)) assert.equal(few.get(name), addr, name);
  });

  test('computes top-k routed rows per token (and the shared expert over every row)', () => {
    const { ir } = compiled(fp16, a100(), 5);
    const routed = ir.filter((layer): layer is LayerOf<'linear_mv' | 'linear_mm'> => (layer.type === 'linear_mm' || layer.type === 'linear_mv') && layer.structure.expert_slot !== undefined);
    const rowsOf = (suffix: string) => routed.filter((layer) => layer.name.endsWith(suffix)).reduce((sum, layer) => sum + layer.input[0]!.shape[1]!, 0);
    assert.equal(rowsOf('_gate_layer_1'), 5 * a.num_experts_per_tok);
    assert.equal(rowsOf('_down_layer_1'), 5 * a.num_experts_per_tok);
  });

  test('launches a layer’s routed experts as grouped kernels: as many launches for 2 experts as for 8', () => {
    const launched = (sequences: number) => rooflineKernels(compiled(fp16, a100(), sequences).ir, a100()).kernels.filter((k) => k.batched === undefined).length;
    assert.equal(launched(1), launched(32));
  });

  test('runs on FlightLLM’s architecture instruction by instruction, its router padded to whole vector rows', () => {
    const hw = vhk158Hardware();
    const model = tinyVariant({ ...a });
    const { ir } = compiled(model, hw, 3);
    const router = ir.find((layer) => layer.name.includes('router_layer_1')) as LayerOf<'linear_mv'>;
    assert.equal(router.param[0]!.shape[2]! % (compileTarget(hw).vectorRowElements ?? 1), 0);
    assert.ok(router.param[0]!.shape[2]! >= a.n_routed_experts);
    const profile = simulate(ir, hw);
    assert.ok(profile.totalMs >= physicalBound(ir, hw).boundMs);
  });
});

describe('latent attention on a board whose kind runs one matrix per linear layer', () => {
  test('is refused, naming the field and where it runs', () => {
    const error = thrown(ModelError, () => compiled(tinyVariant({ ...TINY_LATENT_ARCHITECTURE }), vhk158Hardware(), 1));
    assert.match(error.message, /architecture\.kv_lora_rank: multi-head latent attention is not lowered for vhk158's kind of hardware: .*run the model on a GPU or ASIC board \(kind roofline\)/);
  });
});
