import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileTarget, rooflineKernels, type RooflineHardware } from '../../src/backends/index.js';
import { workOn } from '../../src/bound/index.js';
import { compileModel, planMemory } from '../../src/compiler/index.js';
import { loadModel, PrecisionSchema } from '../../src/model/index.js';
import { shippedHardware, TINY_LATENT_ARCHITECTURE, tinyVariant } from '../helpers.js';

/*
 * Multi-head latent attention keeps one compressed vector and one rotary key
 * per token and layer: (d_c + d_h^R)·l elements (DeepSeek-V2 technical
 * report, section 2.1.4 and table 1), and a decode reads them once.
 */

const a = TINY_LATENT_ARCHITECTURE;
const model = tinyVariant({ ...a }, { precision: 'FP16' });
const a100 = (): RooflineHardware => {
  const hw = shippedHardware('a100-80gb-sxm');
  if (hw.kind !== 'roofline') throw new Error('a100-80gb-sxm is a roofline board');
  return hw;
};
const FP16_BYTES = 2;

describe('latent attention', () => {
  test("DeepSeek-V2-Lite's KV cache holds (512 + 64) × 27 layers fp16 elements per token: 31,104 bytes", () => {
    const lite = loadModel('deepseek-v2-lite').model;
    const fp16 = { ...lite, mapping: { ...lite.mapping, precision: PrecisionSchema.parse('FP16') } };
    assert.equal(planMemory(fp16, compileTarget(shippedHardware('h100-sxm'))).bytesPerToken, (512 + 64) * 27 * FP16_BYTES);
  });

  test('a batched step lays out one compressed vector per cached token and layer, no separate values', () => {
    const hw = a100();
    const context = 100;
    const { memory } = compileModel(model, { batch: { sequences: [{ newTokens: 1, context }] }, target: compileTarget(hw) });
    const blocks = Math.ceil((context + 1) / hw.kvCache.blockTokens);
    assert.equal(memory.kvCacheBytes, a.num_hidden_layers * blocks * hw.kvCache.blockTokens * (a.kv_lora_rank + a.qk_rope_head_dim) * FP16_BYTES);
  });

  test('a decode reads the cached vectors once, for the scores and the values both', () => {
    const hw = a100();
    const context = 100;
    const { ir } = compileModel(model, { batch: { sequences: [{ newTokens: 1, context }] }, target: compileTarget(hw) });
    const cacheBytes = a.num_hidden_layers * (context + 1) * (a.kv_lora_rank + a.qk_rope_head_dim) * FP16_BYTES;
    assert.equal(workOn(ir, hw).kvReadBytes, cacheBytes);
    // The roofline's attention kernels read the cache, the query and write the output: the cache once.
    const attention = rooflineKernels(ir, hw).kernels.filter((k) => k.class === 'attention');
    const queries = a.num_hidden_layers * a.num_attention_heads * (a.kv_lora_rank + a.qk_rope_head_dim) * FP16_BYTES;
    const outputs = a.num_hidden_layers * a.num_attention_heads * a.kv_lora_rank * FP16_BYTES;
    assert.equal(
      attention.reduce((sum, k) => sum + k.bytes, 0),
      cacheBytes + queries + outputs,
    );
  });

  test('computes each head against the latent space: 2 × heads × (kv_lora_rank + rope + kv_lora_rank) operations per cached token and layer', () => {
    const hw = a100();
    const context = 100;
    const { ir } = compileModel(model, { batch: { sequences: [{ newTokens: 1, context }] }, target: compileTarget(hw) });
    const ops = rooflineKernels(ir, hw).kernels.filter((k) => k.class === 'attention').reduce((sum, k) => sum + k.ops, 0);
    assert.equal(ops, a.num_hidden_layers * 2 * a.num_attention_heads * (context + 1) * (a.kv_lora_rank + a.qk_rope_head_dim + a.kv_lora_rank));
  });
});
