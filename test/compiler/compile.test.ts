import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compileModel, irToYaml, tokenLimit } from '../../src/compiler/index.js';
import { ModelError } from '../../src/errors.js';
import { loadIr, maskDirectory, type Ir, type Layer } from '../../src/ir/index.js';
import { loadModel, parseModel, PrecisionSchema, type Model } from '../../src/model/index.js';
import { simulateIr } from '../../src/backends/flightllm/engine/index.js';
import { profileToCsv } from '../../src/profiler/csv.js';
import { NO_REFERENCE, RecordingSink, REFERENCE_DIR, ROOT, shippedHardware, thrown, vhk158Hardware } from '../helpers.js';
import { generateInstructions } from '../../src/backends/flightllm/instgen/index.js';
import { compileTarget } from '../../src/backends/index.js';

const model = (file: string): Model => loadModel(join(ROOT, 'ir', `${file}.yaml`)).model;
const llama2 = model('llama2-7b');

/** The IR without addresses (FlightLLM's files leave them all 0). */
function withoutAddresses(ir: Ir): unknown {
  return JSON.parse(JSON.stringify(ir, (key, value) => (key === 'addr' ? undefined : value)));
}


describe('compiling LLaMA2-7B as FlightLLM does', { skip: NO_REFERENCE }, () => {
  const cases: Array<['prefill' | 'decode', number, number]> = [
    ['prefill', 128, 128],
    ['prefill', 300, 384],
    ['prefill', 2048, 2048],
    ['decode', 16, 16],
    ['decode', 1030, 1040],
    ['decode', 2048, 2048],
  ];
  for (const [stage, tokens, padded] of cases) {
    test(`${stage} at ${tokens} tokens equals FlightLLM's ${stage} IR at ${padded}, layer for layer`, () => {
      const compiled = compileModel(llama2, { stage, tokens, target: compileTarget(vhk158Hardware()) });
      assert.equal(compiled.name, `llama2_${stage}_token_${padded}`);
      const reference = loadIr(join(REFERENCE_DIR, 'ir_output', `${compiled.name}.yaml`));
      assert.equal(compiled.ir.length, reference.length);
      assert.deepEqual(withoutAddresses(compiled.ir), withoutAddresses(reference));
    });
  }

  test("its YAML is FlightLLM's file text, addresses aside", () => {
    const compiled = compileModel(llama2, { stage: 'decode', tokens: 512, target: compileTarget(vhk158Hardware()) });
    const text = irToYaml(compiled.ir).replace(/addr: \d+/g, 'addr: 0');
    assert.equal(text, readFileSync(join(REFERENCE_DIR, 'ir_output', 'llama2_decode_token_512.yaml'), 'utf8'));
  });

  test("simulated with FlightLLM's masks, our IR gives FlightLLM's CSV", () => {
    const compiled = compileModel(llama2, { stage: 'prefill', tokens: 128, target: compileTarget(vhk158Hardware()) });
    const csv = profileToCsv(simulateIr(compiled.ir, vhk158Hardware(), { masks: maskDirectory(join(REFERENCE_DIR, 'ir_output', 'attention_mask')) }));
    assert.equal(csv, readFileSync(join(REFERENCE_DIR, 'profiler_output', 'llama2_prefill_token_128.csv'), 'utf8'));
  });
});

describe('device memory', () => {
  test('weights sit at the same addresses in every stage and length, each in its own range', () => {
    const a = compileModel(llama2, { stage: 'prefill', tokens: 256, target: compileTarget(vhk158Hardware()) });
    const b = compileModel(llama2, { stage: 'decode', tokens: 700, target: compileTarget(vhk158Hardware()) });
    const weights = (ir: Ir) => new Map(ir.flatMap((layer) => ('param' in layer ? (layer.param ?? []) : [])).filter((p) => p.dtype !== 'bool').map((p) => [p.name, p.addr]));
    assert.deepEqual(weights(a.ir), weights(b.ir));
    const starts = [...weights(a.ir).values()].sort((x, y) => x - y);
    assert.equal(new Set(starts).size, starts.length);
    assert.ok(starts.at(-1)! < a.memory.weightBytes);
  });

  test('the KV cache is sized by key/value heads for the longest sequence, and every address fits the device', () => {
    const qwen = model('qwen2.5-7b');
    const compiled = compileModel(qwen, { stage: 'decode', tokens: 1024, target: compileTarget(vhk158Hardware()) });
    // 28 layers × (keys + values) × 4 KV heads × 2048 tokens × 128 × 1 byte.
    assert.equal(compiled.memory.kvCacheBytes, 28 * 2 * 4 * 2048 * 128);
    for (const layer of compiled.ir) for (const tensor of [...layer.input, ...layer.output]) assert.ok(tensor.addr < compiled.memory.totalBytes);
    assert.ok(compiled.memory.totalBytes <= vhk158Hardware().hbm.totalSizeGiB * 2 ** 30);
  });

  test('a model that does not fit is refused with the numbers', () => {
    // Qwen2.5-32B weights in W8A8, one byte each: 64 × (5120 × (5120 + 2 × 1024) + 5120 × 5120 + 3 × 5120 × 27648) + 5120 × 152064.
    const weights = 64 * (5120 * (5120 + 2 * 1024) + 5120 * 5120 + 3 * 5120 * 27648) + 5120 * 152064;
    const error = thrown(ModelError, () => compileModel(model('qwen2.5-32b'), { stage: 'prefill', tokens: 128, target: compileTarget(vhk158Hardware()) }));
    assert.match(error.message, /^Qwen2\.5-32B does not fit in HBM of vhk158: it needs (\d+\.\d\d) GiB of weights .* = (\d+\.\d\d) GiB, and vhk158 has 8\.00 GiB \(hbm\.totalSizeGiB\)\.$/);
    const stated = Number(/needs (\d+\.\d\d) GiB/.exec(error.message)![1]);
    assert.ok(Math.abs(stated - weights / 2 ** 30) < 0.02, `${stated} GiB vs ${weights / 2 ** 30}`);
  });
});

describe('grouped-query attention and biases', () => {
  const qwen = model('qwen2.5-7b');
  const compiled = compileModel(qwen, { stage: 'decode', tokens: 64, target: compileTarget(vhk158Hardware()) });
  const layer = (name: string) => compiled.ir.find((l) => l.name === name) as Layer & { param?: Array<{ name: string; shape: number[] }> };

  test('key and value projections, the cache and attention are sized by the 4 key/value heads', () => {
    assert.deepEqual(layer('round_1_k_proj_layer_0').output[0]?.shape, [1, 1, 4 * 128]);
    assert.deepEqual(layer('round_1_concat_past_keys_0').input.map((t) => t.shape), [[4, 63, 128], [4, 1, 128]]);
    assert.deepEqual(layer('round_1_attention_qkt_0').input.map((t) => t.shape), [[28, 1, 128], [4, 128, 64]]);
    assert.deepEqual(layer('round_1_attention_qktv_0').output[0]?.shape, [28, 1, 128]);
  });

  test('query, key and value carry biases; the output projection does not', () => {
    for (const projection of ['q_proj', 'k_proj', 'v_proj']) assert.equal(layer(`round_1_${projection}_layer_0`).param?.length, 2);
    assert.equal(layer('round_1_out_proj_layer_0').param?.length, 1);
  });

  test('decode attention loads each key/value tile once and runs one MV per query head', () => {
    const sink = new RecordingSink();
    generateInstructions(compiled.ir, vhk158Hardware(), sink);
    const qkt = sink.steps.find((step) => step.name.startsWith('round_1_attention_qkt_0'))!;
    const counts = sink.counts(qkt.index);
    // N = 64 tokens = 4 blocks: one MV tile, whose blocks lie on A channels 0-3 only, so a
    // tile is 4 loads per key/value head, after the load of every head's query vector.
    assert.equal(counts['MV'], 28);
    assert.equal(counts['LD'], 1 + 4 * 4);
    assert.equal(counts['MISC'], 28);
  });
});

describe('lengths', () => {
  test('lengths are padded like FlightLLM unless told not to', () => {
    assert.equal(compileModel(llama2, { stage: 'prefill', tokens: 129, target: compileTarget(vhk158Hardware()) }).tokens, 256);
    assert.equal(compileModel(llama2, { stage: 'decode', tokens: 1001, target: compileTarget(vhk158Hardware()) }).tokens, 1008);
    assert.equal(compileModel(llama2, { stage: 'decode', tokens: 1001, target: compileTarget(vhk158Hardware()), pad: false }).tokens, 1001);
  });

  test('an exact length that is not a whole number of blocks simulates', () => {
    const compiled = compileModel(llama2, { stage: 'decode', tokens: 1001, target: compileTarget(vhk158Hardware()), pad: false });
    const exact = simulateIr(compiled.ir, vhk158Hardware()).totalMs;
    const padded = simulateIr(compileModel(llama2, { stage: 'decode', tokens: 1008, target: compileTarget(vhk158Hardware()) }).ir, vhk158Hardware()).totalMs;
    assert.ok(exact < padded && exact > padded * 0.99, `${exact} vs ${padded}`);
  });

  test('a length above the maximum is refused', () => {
    const error = thrown(ModelError, () => compileModel(llama2, { stage: 'prefill', tokens: 2049, target: compileTarget(vhk158Hardware()) }));
    assert.deepEqual(error.issues, [{ path: 'tokens', message: "2176 (2049 padded) tokens exceed vhk158's limit of 2048 tokens (sparsity.maxTokens)" }]);
  });

  test("a model's context is its own; FlightLLM's MAX_LEN is the VHK158's limit, named where it binds", () => {
    // LLaMA-2's config.json: max_position_embeddings 4096; FlightLLM's config.yaml: MAX_LEN 2048.
    assert.deepEqual(tokenLimit(llama2, compileTarget(shippedHardware('h100-sxm'))), { tokens: 4096, owner: "llama2-7B's context of 4096 tokens (max_position_embeddings)" });
    assert.deepEqual(tokenLimit(llama2, compileTarget(vhk158Hardware())), { tokens: 2048, owner: "vhk158's limit of 2048 tokens (sparsity.maxTokens)" });
    // 2048 prompt + 128 generated: a step at context 2175 compiles on a GPU and is refused by the VHK158.
    const longDecode = { sequences: [{ newTokens: 1, context: 2175 }] };
    assert.equal(compileModel({ ...llama2, mapping: { ...llama2.mapping, precision: PrecisionSchema.parse('FP16') } }, { batch: longDecode, target: compileTarget(shippedHardware('h100-sxm')) }).batch, longDecode);
    assert.match(thrown(ModelError, () => compileModel(llama2, { batch: longDecode, target: compileTarget(vhk158Hardware()) })).message, /context 2175 \+ 1 new tokens = 2176 exceeds vhk158's limit of 2048 tokens \(sparsity\.maxTokens\)/);
  });

  test('a decode step needs a cached token', () => {
    assert.match(thrown(ModelError, () => compileModel(llama2, { stage: 'decode', tokens: 1, target: compileTarget(vhk158Hardware()), pad: false })).message, /a decode step needs a context of at least 2 tokens/);
  });

  test("a dimension that is not a multiple of the accelerator's block size is refused", () => {
    const odd = parseModel({ name: 'odd', architecture: { hidden_size: 1024, intermediate_size: 2050, num_attention_heads: 8, num_hidden_layers: 1, vocab_size: 1000, max_position_embeddings: 2048 } }).model;
    const error = thrown(ModelError, () => compileModel(odd, { stage: 'decode', tokens: 16, target: compileTarget(vhk158Hardware()) }));
    assert.deepEqual(error.issues.map((issue) => issue.path), ['architecture.intermediate_size', 'architecture.vocab_size']);
    assert.match(error.message, /2050 is not a multiple of the accelerator's block size 16 \(sparsity\.blockSize\)/);
  });
});
