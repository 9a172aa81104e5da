import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compileModel, memoryUse, type CompiledIr } from '../../src/compiler/index.js';
import { ModelError } from '../../src/errors.js';
import type { Hardware } from '../../src/backends/index.js';
import type { Layer, Param } from '../../src/ir/index.js';
import { loadModel, type Model } from '../../src/model/index.js';
import { ROOT, shippedHardware, thrown, TINY_ARCHITECTURE as ARCHITECTURE, tinyModel, vhk158Hardware } from '../helpers.js';
import { compileTarget } from '../../src/backends/index.js';

/*
 * The tiny model: every tensor is a whole number of 64-byte bursts at every
 * precision, so the allocator's alignment adds nothing and the byte counts
 * below are exact.
 */
const hidden = ARCHITECTURE.hidden_size;
const headDim = hidden / ARCHITECTURE.num_attention_heads;
const kvWidth = ARCHITECTURE.num_key_value_heads * headDim;
const layers = ARCHITECTURE.num_hidden_layers;

/** Elements of every linear weight: per layer q, k, v, o, gate, up, down; then the LM head. */
const LINEAR_ELEMENTS =
  layers * (hidden * hidden + 2 * hidden * kvWidth + hidden * hidden + 3 * hidden * ARCHITECTURE.intermediate_size) + hidden * ARCHITECTURE.vocab_size;
/** Elements of the norm scales: two norms per layer and the final one, hidden_size each. */
const NORM_ELEMENTS = (2 * layers + 1) * hidden;

const tiny = (precision: unknown): Model => tinyModel({ precision });
const compile = (precision: unknown, hardware: Hardware = vhk158Hardware()): CompiledIr => compileModel(tiny(precision), { stage: 'decode', tokens: 64, target: compileTarget(hardware) });

const linears = (compiled: CompiledIr) => compiled.ir.filter((layer): layer is Extract<Layer, { type: 'linear_mv' | 'linear_mm' }> => layer.type === 'linear_mv' || layer.type === 'linear_mm');
const weights = (compiled: CompiledIr): Param[] => linears(compiled).map((layer) => layer.param[0]!);
const norms = (compiled: CompiledIr) => compiled.ir.filter((layer): layer is Extract<Layer, { type: 'layernorm' }> => layer.type === 'layernorm');
const kvTensors = (compiled: CompiledIr) =>
  compiled.ir.flatMap((layer) => [...layer.input, ...layer.output]).filter((tensor) => /^round_\d+_(key_t|past_values)_\d+$/.test(tensor.name));
const activations = (compiled: CompiledIr) =>
  compiled.ir.flatMap((layer) => [...layer.input, ...layer.output]).filter((tensor) => !/^round_\d+_(key_t|past_values)_\d+$/.test(tensor.name));
/** Bytes of the KV cache: keys and values of every layer, for the longest sequence. */
const kvCacheBytes = (bytesPerElement: number) => layers * 2 * ARCHITECTURE.num_key_value_heads * ARCHITECTURE.max_position_embeddings * headDim * bytesPerElement;


describe('precision on the VHK158', () => {
  test('the sums below count every linear weight the IR has', () => {
    const compiled = compile('flightllm');
    const elements = weights(compiled).reduce((sum, weight) => sum + weight.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(elements, LINEAR_ELEMENTS);
    assert.equal(norms(compiled).length * hidden, NORM_ELEMENTS);
  });

  test("flightllm: int8 weights without stream_bits, stored at the board's 4-bit convention", () => {
    const compiled = compile('flightllm');
    const hw = vhk158Hardware();
    const bits = hw.calibration.weightStreamBits.int8!;
    assert.equal(bits, 4);
    for (const weight of weights(compiled)) {
      assert.equal(weight.dtype, 'int8');
      assert.equal('stream_bits' in weight, false, `${weight.name} has no stream_bits`);
    }
    // Linear weights at 4 bits, norm scales at the activations' 8 bits.
    assert.equal(compiled.memory.weightBytes, (LINEAR_ELEMENTS * bits) / 8 + NORM_ELEMENTS);
  });

  test('W8A8: every linear weight says stream_bits 8, and linear weights take twice the bytes', () => {
    const flight = compile('flightllm');
    const w8a8 = compile('W8A8');
    for (const weight of weights(w8a8)) {
      assert.equal(weight.dtype, 'int8');
      assert.equal(weight.stream_bits, 8, weight.name);
    }
    assert.equal(w8a8.memory.weightBytes, LINEAR_ELEMENTS + NORM_ELEMENTS);
    assert.equal(w8a8.memory.weightBytes - NORM_ELEMENTS, 2 * (flight.memory.weightBytes - NORM_ELEMENTS));
    // Activations and the KV cache are int8 in both.
    assert.equal(w8a8.memory.kvCacheBytes, flight.memory.kvCacheBytes);
  });

  test('INT8 compiles as W8A8', () => {
    assert.deepEqual(compile('INT8').ir, compile('W8A8').ir);
  });

  test('W4A16: fp16 activations and norm scales, int4 weights without stream_bits, an fp16 KV cache of 2 bytes an element', () => {
    const compiled = compile('W4A16');
    for (const weight of weights(compiled)) {
      assert.equal(weight.dtype, 'int4');
      // 4 bits is int4's own width, the board's convention for it: nothing to write.
      assert.equal('stream_bits' in weight, false, `${weight.name} has no stream_bits`);
    }
    for (const norm of norms(compiled)) assert.equal(norm.param[0]!.dtype, 'fp16', norm.name);
    assert.deepEqual([...new Set(activations(compiled).map((tensor) => tensor.dtype))], ['fp16']);
    const kv = kvTensors(compiled);
    assert.ok(kv.length > 0);
    assert.deepEqual([...new Set(kv.map((tensor) => tensor.dtype))], ['fp16']);
    assert.equal(compiled.memory.kvCacheBytes, kvCacheBytes(2));
    assert.equal(compile('flightllm').memory.kvCacheBytes, kvCacheBytes(1));
    assert.equal(compiled.memory.weightBytes, (LINEAR_ELEMENTS * 4) / 8 + NORM_ELEMENTS * 2);
  });

  test('FP16: fp16 weights stream at 16 bits, four times the flightllm convention', () => {
    const compiled = compile('FP16');
    for (const weight of weights(compiled)) assert.equal(weight.dtype, 'fp16');
    assert.equal(compiled.memory.weightBytes, LINEAR_ELEMENTS * 2 + NORM_ELEMENTS * 2);
  });

  test('{ preset: W4A16, kvCache: int8 } halves the KV cache of W4A16 and leaves the weights as they were', () => {
    const mixed = compile({ preset: 'W4A16', kvCache: 'int8' });
    assert.deepEqual([...new Set(kvTensors(mixed).map((tensor) => tensor.dtype))], ['int8']);
    assert.equal(mixed.memory.kvCacheBytes, kvCacheBytes(1));
    assert.equal(mixed.memory.weightBytes, compile('W4A16').memory.weightBytes);
  });
});

describe('memory pools of the U250', () => {
  const qwen = loadModel(join(ROOT, 'ir', 'qwen2.5-32b.yaml')).model;
  const u250 = (kernels?: number) => shippedHardware('u250', kernels === undefined ? undefined : { 'dpu.kernels': kernels });
  // Qwen2.5-32B in W8A8 on the DPU (int8 weights stored at 8 bits): per layer
  // q (5120 × 5120), k and v (5120 × 1024 each), o (5120 × 5120), gate, up and
  // down (5120 × 27648 each), int32 biases on q, k and v, and two int8 norm
  // scales; then the final norm and the LM head (5120 × 152064). Every tensor
  // is a multiple of 64 bytes, so alignment adds nothing.
  const h = 5120;
  const kv = 8 * 128;
  const perLayer = h * (h + 2 * kv) + h * h + 3 * h * 27648 + 4 * (h + 2 * kv) + 2 * h;
  const weightBytes = 64 * perLayer + h + h * 152064;
  const GIB = 2 ** 30;

  test("Qwen2.5-32B's weights fit in the DDR channels of 3 kernels (3 × 16 GiB)", () => {
    const hw = u250();
    assert.equal(hw.kind, 'dpu-host');
    const compiled = compileModel(qwen, { stage: 'decode', tokens: 16, target: compileTarget(hw) });
    assert.equal(compiled.memory.weightBytes, weightBytes);
    const pool = memoryUse(compiled.memory, compileTarget(hw)).find((use) => use.pool.holds.includes('weights'))!;
    assert.equal(pool.pool.capacityBytes, 3 * 1 * 16 * GIB);
    assert.equal(pool.neededBytes, weightBytes);
    assert.ok(weightBytes <= 3 * 16 * GIB && weightBytes > 16 * GIB, `${weightBytes / GIB} GiB lies between one kernel's 16 GiB and three kernels' 48 GiB`);
  });

  test('with one kernel they do not, and the error names the capacity and the fields it comes from', () => {
    const error = thrown(ModelError, () => compileModel(qwen, { stage: 'decode', tokens: 16, target: compileTarget(u250(1)) }));
    assert.match(error.message, /^Qwen2\.5-32B does not fit in the DDR channels of its 1 DPU kernel of u250: it needs (\d+\.\d\d) GiB of weights, and u250 has 16\.00 GiB \(dpu\.kernels × dpu\.ddrChannelsPerKernel × card\.ddr\.channelSizeGiB\)\.$/);
    assert.equal(/needs (\d+\.\d\d) GiB/.exec(error.message)![1], (weightBytes / GIB).toFixed(2));
  });

  test('pruned weights are stored densely: the DPU has no sparse mode', () => {
    const pruned = tinyModel({ weightSparsity: { q: 0.5, gate: 0.25 } });
    const dense = tinyModel();
    const bytes = (model: Model, hardware: Hardware) => compileModel(model, { stage: 'decode', tokens: 64, target: compileTarget(hardware) }).memory.weightBytes;
    assert.equal(bytes(pruned, u250()), bytes(dense, u250()));
    // FlightLLM's design stores only the kept values.
    assert.ok(bytes(pruned, vhk158Hardware()) < bytes(dense, vhk158Hardware()));
  });

  test('on the DPU, int8 weights are stored at their 8 bits and carry no stream_bits', () => {
    const compiled = compileModel(qwen, { stage: 'decode', tokens: 16, target: compileTarget(u250()) });
    for (const weight of weights(compiled)) assert.equal('stream_bits' in weight, false, weight.name);
  });
});
