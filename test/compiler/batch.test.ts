import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeShape, prefillShape, stepForm } from '../../src/batch.js';
import { compileModel, irToYaml, planMemory } from '../../src/compiler/index.js';
import { declaredBatch, type Layer } from '../../src/ir/index.js';
import { loadModel, modelDims, PrecisionSchema } from '../../src/model/index.js';
import { ROOT, shippedHardware, vhk158Hardware } from '../helpers.js';
import { compileTarget } from '../../src/backends/index.js';

const llama2 = loadModel(join(ROOT, 'ir', 'llama2-7b.yaml')).model;
const qwen = loadModel(join(ROOT, 'ir', 'qwen2.5-7b.yaml')).model;

describe('batch shapes', () => {
  test("FlightLLM's decode_token_N is one new token over a cache of N − 1, its prefill_token_N N tokens over none", () => {
    for (const tokens of [2, 144, 1000]) {
      const byStage = compileModel(llama2, { stage: 'decode', tokens, target: compileTarget(vhk158Hardware()), pad: false });
      const byBatch = compileModel(llama2, { batch: { sequences: [{ newTokens: 1, context: tokens - 1 }] }, target: compileTarget(vhk158Hardware()) });
      assert.equal(irToYaml(byBatch.ir), irToYaml(byStage.ir));
      assert.equal(byBatch.name, byStage.name);
    }
    const prefill = compileModel(llama2, { batch: prefillShape(256), target: compileTarget(vhk158Hardware()) });
    assert.equal(irToYaml(prefill.ir), irToYaml(compileModel(llama2, { stage: 'prefill', tokens: 256, target: compileTarget(vhk158Hardware()) }).ir));
    assert.deepEqual(decodeShape(512), { sequences: [{ newTokens: 1, context: 511 }] });
  });

  test('only those two single-sequence shapes take FlightLLM’s form', () => {
    assert.equal(stepForm(prefillShape(2)).kind, 'prefill');
    assert.equal(stepForm(decodeShape(2)).kind, 'decode');
    for (const sequences of [[{ newTokens: 1, context: 0 }], [{ newTokens: 8, context: 100 }], [{ newTokens: 1, context: 5 }, { newTokens: 1, context: 5 }]]) {
      assert.equal(stepForm({ sequences }).kind, 'batched', JSON.stringify(sequences));
    }
  });
});

describe('lowering a batched step', () => {
  const batch = { sequences: [{ newTokens: 1, context: 700 }, { newTokens: 48, context: 0 }, { newTokens: 16, context: 300 }] };
  const compiled = compileModel(llama2, { batch, target: compileTarget(vhk158Hardware()) });
  const d = modelDims(llama2);
  const rows = 1 + 48 + 16;
  const ofType = (type: Layer['type']) => compiled.ir.filter((layer) => layer.type === type);

  test('declares its sequences in the input layer', () => {
    assert.deepEqual(declaredBatch(compiled.ir), batch);
  });

  test('runs token-wise layers once over every row, the LM head on one row per sequence', () => {
    const linear = compiled.ir.filter((layer) => layer.type === 'linear_mm' || layer.type === 'linear_mv');
    assert.equal(linear.length, d.layers * 7 + 1);
    for (const layer of linear.slice(0, -1)) assert.equal(layer.input[0]!.shape[1], rows, layer.name);
    assert.equal(linear.at(-1)!.input[0]!.shape[1], batch.sequences.length);
    assert.equal(ofType('layernorm').length, 2 * d.layers + 1);
  });

  test('gives each sequence its own attention over its context and itself, decodes in matrix-vector form', () => {
    const qkt = compiled.ir.filter((_, index) => compiled.tags[index] === 'qkt');
    assert.equal(qkt.length, d.layers * batch.sequences.length);
    qkt.forEach((layer, position) => {
      const s = batch.sequences[position % batch.sequences.length]!;
      assert.equal(layer.type, s.newTokens === 1 ? 'attention_mv' : 'attention_mm', layer.name);
      assert.deepEqual(layer.output[0]!.shape, [d.heads, s.newTokens, s.context + s.newTokens]);
    });
  });

  test('appends to the cache of every sequence that has one, and of no other', () => {
    const withContext = batch.sequences.filter((s) => s.context > 0).length;
    assert.equal(ofType('concat').length, 2 * d.layers * withContext);
  });

  test('sizes each sequence’s KV cache in whole blocks', () => {
    const block = vhk158Hardware().kvCache.blockTokens;
    const bytesPerToken = 2 * d.layers * d.kvHeads * d.headDim;
    const tokens = batch.sequences.reduce((sum, s) => sum + Math.ceil((s.context + s.newTokens) / block) * block, 0);
    assert.equal(compiled.memory.kvCacheBytes, tokens * bytesPerToken);
  });
});

describe('KV capacity', () => {
  for (const board of ['vhk158', 'u280', 'v80', 'u250'] as const) {
    for (const model of [llama2, qwen]) {
      test(`${model.name} on ${board}: what the KV cache's memory leaves after weights and activation slots, in whole blocks`, () => {
        const hw = shippedHardware(board);
        const capacity = planMemory(model, compileTarget(hw));
        const d = modelDims(model);
        const kvBytes = (model.mapping.precision.kvCache === 'fp16' ? 2 : 1) * d.kvHeads * d.headDim;
        assert.equal(capacity.bytesPerToken, 2 * d.layers * kvBytes);
        assert.equal(capacity.blockBytes, capacity.blockTokens * capacity.bytesPerToken);
        const free = capacity.pool.capacityBytes - capacity.weightBytesInPool - capacity.activationBytes;
        assert.equal(capacity.blocks, Math.floor(free / capacity.blockBytes));
        assert.equal(capacity.tokens, capacity.blocks * capacity.blockTokens);
        assert.ok(capacity.tokens > 0);
      });
    }
  }

  test('reserving activation slots for smaller steps leaves more room for the cache', () => {
    const full = planMemory(llama2, compileTarget(vhk158Hardware()));
    const small = planMemory(llama2, compileTarget(vhk158Hardware()), { maxBatchedTokens: 256 });
    assert.ok(small.activationBytes < full.activationBytes);
    assert.ok(small.blocks >= full.blocks);
  });

  test("a GPU's fused attention keeps the scores on chip: the reservation grows with a step's rows, not with their square", () => {
    // Every slot but the scores holds a fixed number of values per row (hidden
    // states, projections, logits), so without the rows × rows scores doubling
    // the rows at most doubles the reservation. FlightLLM writes its scores to
    // memory, and reserves them.
    const gpu = compileTarget(shippedHardware('h100-sxm'));
    const fp16 = { ...llama2, mapping: { ...llama2.mapping, precision: PrecisionSchema.parse('FP16') } };
    const gpuSmall = planMemory(fp16, gpu, { maxBatchedTokens: 512 });
    const gpuLarge = planMemory(fp16, gpu, { maxBatchedTokens: 4096 });
    assert.ok(gpuLarge.activationBytes <= 8 * gpuSmall.activationBytes * 1.001, `${gpuLarge.activationBytes} > 8 × ${gpuSmall.activationBytes}`);
    const scoresPerHead = 2 * 4096 * 4096; // one head's fp16 scores at 4096 rows
    assert.ok(gpuLarge.activationBytes < modelDims(llama2).heads * scoresPerHead, 'less than one layer’s scores');
    const fpgaLarge = planMemory(llama2, compileTarget(vhk158Hardware()), { maxBatchedTokens: 2048 });
    assert.ok(fpgaLarge.activationBytes >= modelDims(llama2).heads * 2 * 2048 * 2048, 'FlightLLM reserves at least its fp16 scores');
  });
});
