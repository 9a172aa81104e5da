import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backendFor, kernelsMs, rooflineKernels, simulate, type RooflineHardware } from '../../../src/backends/index.js';
import { compileModel, planMemory } from '../../../src/compiler/index.js';
import { createStepCostModel } from '../../../src/cost/index.js';
import { ModelError } from '../../../src/errors.js';
import type { Hardware } from '../../../src/backends/index.js';
import { loadModel, modelDims, PrecisionSchema, type Model } from '../../../src/model/index.js';
import { physicalBound } from '../../../src/bound/index.js';
import { shippedHardware, thrown, tinyModel } from '../../helpers.js';
import { compileTarget } from '../../../src/backends/index.js';

/*
 * GPUs and ASICs modelled kernel by kernel (kind: roofline): times against
 * the bound and against the arithmetic of their own definition, batching,
 * precisions each board refuses, and the KV cache the A100 holds against
 * the figure vLLM logged on FlightLLM's A100.
 */

const roofline = (name: string, overrides?: Record<string, unknown>): RooflineHardware => {
  const hw = shippedHardware(name, overrides);
  if (hw.kind !== 'roofline') throw new Error(`${name} is not a roofline board`);
  return hw;
};
const fp16 = (model: Model, preset = 'FP16'): Model => ({ ...model, mapping: { ...model.mapping, precision: PrecisionSchema.parse(preset) } });
const tiny = fp16(tinyModel());
const decode = (sequences: number, context: number) => ({ sequences: Array.from({ length: sequences }, () => ({ newTokens: 1, context })) });
const stepMs = (hw: Hardware, model: Model, batch: ReturnType<typeof decode>) => simulate(compileModel(model, { batch, target: compileTarget(hw) }).ir, hw).totalMs;

describe('a roofline step', () => {
  test('takes at least its physical bound, and at full efficiency and no launch cost no more than the bound plus its activations', () => {
    const ideal = roofline('a100-80gb-sxm', { 'efficiency.linear.memory': 1, 'efficiency.linear.compute': 1, 'efficiency.attention.memory': 1, 'efficiency.attention.compute': 1, 'efficiency.vector.memory': 1, kernelLaunchUs: 0 });
    const { ir } = compileModel(tiny, { batch: decode(1, 300), target: compileTarget(ideal) });
    const totalMs = simulate(ir, ideal).totalMs;
    const bound = physicalBound(ir, ideal);
    assert.ok(totalMs >= bound.boundMs, `${totalMs} below the bound ${bound.boundMs}`);
    // Beyond weights and the KV cache a decode moves only activation rows: a few per cent of a tiny model's bytes.
    assert.ok(totalMs <= bound.boundMs * 1.25, `${totalMs} ms is far above the bound ${bound.boundMs} ms`);
  });

  test('streams its weights at bandwidth × linear.memory: halving the efficiency adds the weights once more at full bandwidth (and the few activation rows projections read and write)', () => {
    const d = modelDims(tiny);
    const weightBytes = 2 * d.layers * d.hidden * (d.qWidth + 2 * d.kvHeads * d.headDim) + 2 * d.layers * d.qWidth * d.hidden + 2 * d.layers * 3 * d.hidden * d.intermediate + 2 * d.hidden * d.vocab;
    const at = (efficiency: number) => stepMs(roofline('a100-80gb-sxm', { 'efficiency.linear.memory': efficiency }), tiny, decode(1, 64));
    const hw = roofline('a100-80gb-sxm');
    const expectedMs = (weightBytes / (hw.memory.bandwidthGBps * 1e9)) * 1e3;
    const addedMs = at(0.5) - at(1);
    assert.ok(addedMs >= expectedMs && addedMs < expectedMs * 1.01, `${addedMs} ms against ${expectedMs} ms`);
  });

  test('pays the launch cost once per kernel of its own; attention kernels of every sequence share the layer’s launches', () => {
    const withLaunch = (us: number, sequences: number) => stepMs(roofline('a100-80gb-sxm', { kernelLaunchUs: us }), tiny, decode(sequences, 100));
    const hw = roofline('a100-80gb-sxm');
    const { ir } = compileModel(tiny, { batch: decode(1, 100), target: compileTarget(hw) });
    const ownKernels = rooflineKernels(ir, hw).kernels.filter((k) => k.batched === undefined).length;
    assert.ok(Math.abs(withLaunch(10, 1) - withLaunch(0, 1) - ownKernels * 0.01) < 1e-9);
    // Eight sequences add attention work but not one launch.
    assert.ok(Math.abs(withLaunch(10, 8) - withLaunch(0, 8) - ownKernels * 0.01) < 1e-9);
  });

  test('kernelsMs over the kernels of an IR is the simulated time', () => {
    const hw = roofline('h100-sxm');
    const { ir } = compileModel(tiny, { batch: { sequences: [{ newTokens: 40, context: 24 }, { newTokens: 1, context: 9 }] }, target: compileTarget(hw) });
    assert.equal(kernelsMs(rooflineKernels(ir, hw).kernels, hw), simulate(ir, hw).totalMs);
  });

  test('a prompt runs compute-bound and a lone decode memory-bound on an A100', () => {
    const hw = roofline('a100-80gb-sxm-vllm');
    const llama = fp16(loadModel('llama2-7b').model);
    const prompt = createStepCostModel({ hardware: hw, model: llama }).exact({ sequences: [{ newTokens: 1024, context: 0 }] });
    const lone = createStepCostModel({ hardware: hw, model: llama }).exact(decode(1, 511));
    assert.equal(prompt.bound.limit, 'compute');
    assert.equal(lone.bound.limit, 'memory');
  });

  test('batching decodes raises throughput until compute binds: 32 sequences cost far less than 32 lone steps', () => {
    const hw = roofline('a100-80gb-sxm-vllm');
    const llama = fp16(loadModel('llama2-7b').model);
    const costs = createStepCostModel({ hardware: hw, model: llama });
    const one = costs.exact(decode(1, 511)).totalMs;
    const many = costs.exact(decode(32, 511)).totalMs;
    assert.ok(many > one, 'a larger batch cannot be faster');
    assert.ok(many < 4 * one, `32 decodes take ${many} ms against ${one} ms for one`);
  });

  test('the fast step cost matches the exact one on a mixed batch', () => {
    const hw = roofline('k100-ai');
    const costs = createStepCostModel({ hardware: hw, model: tiny });
    const batch = { sequences: [{ newTokens: 96, context: 0 }, { newTokens: 1, context: 700 }, { newTokens: 1, context: 33 }, { newTokens: 50, context: 200 }] };
    const exact = costs.exact(batch).totalMs;
    const fast = costs.fast(batch).totalMs;
    assert.ok(Math.abs(fast - exact) / exact < 0.01, `fast ${fast} ms, exact ${exact} ms`);
  });
});

describe('roofline precisions', () => {
  const refusal = (board: string, preset: string, kvCache?: string) => {
    const model = { ...tiny, mapping: { ...tiny.mapping, precision: PrecisionSchema.parse(kvCache === undefined ? preset : { preset, kvCache }) } };
    const hw = roofline(board);
    return backendFor(hw).refusePrecision(hw, model.mapping.precision);
  };

  test('each board runs what its stack runs and refuses the rest, naming the board and the precision', () => {
    assert.equal(refusal('h100-sxm', 'FP8'), undefined);
    assert.match(refusal('a100-80gb-sxm', 'FP8') ?? '', /a100-80gb-sxm runs .* not FP8/);
    assert.match(refusal('v100s', 'BF16') ?? '', /v100s .* not BF16/);
    assert.match(refusal('s60', 'FP8') ?? '', /s60 .* not FP8/);
    for (const preset of ['FP16', 'BF16', 'GPTQ-W4A16', 'GPTQ-W8A16', 'AWQ-W4A16', 'W8A8', 'W8A16']) assert.equal(refusal('s60', preset), undefined, `the S60 stack runs ${preset}`);
    // The S60 stores an int8 KV cache; the A100's vLLM does not.
    assert.equal(refusal('s60', 'FP16', 'int8'), undefined);
    assert.match(refusal('a100-80gb-sxm', 'FP16', 'int8') ?? '', /KV cache .* not int8/);
  });

  test('compiling a refused precision fails with one error naming both', () => {
    const hw = roofline('v100s');
    const error = thrown(ModelError, () => compileModel(fp16(tinyModel(), 'BF16'), { batch: decode(1, 10), target: compileTarget(hw) }));
    assert.match(error.message, /v100s does not run Tiny at precision BF16/);
  });

  test("FlightLLM's int8 mapping is refused on a GPU, whose default is FP16", () => {
    const hw = roofline('a100-80gb-pcie');
    assert.ok(backendFor(hw).refusePrecision(hw, tinyModel().mapping.precision) !== undefined);
    assert.equal(backendFor(hw).defaultPrecision?.(hw), 'FP16');
  });

  test('group-wise GPTQ weights stream more bytes than plain 4-bit ones: their scales and zeros count', () => {
    const hw = roofline('a100-80gb-sxm');
    const at = (preset: string) => physicalBound(compileModel(fp16(tinyModel(), preset), { batch: decode(1, 10), target: compileTarget(hw) }).ir, hw).bytes;
    const d = modelDims(tiny);
    assert.ok(at('GPTQ-W4A16') > at('W4A16'));
    assert.ok(at('W4A16') < at('FP16') / 3, 'four-bit weights are a quarter of fp16 ones');
    // Each group of 128 weights carries 20 bits: 20/128 of a bit per weight.
    const weights = d.layers * (d.hidden * (d.qWidth + 2 * d.kvHeads * d.headDim) + d.qWidth * d.hidden + 3 * d.hidden * d.intermediate) + d.hidden * d.vocab;
    assert.ok(Math.abs(at('GPTQ-W4A16') - at('W4A16') - (weights * 20) / 128 / 8) < 1, 'the difference is the groups’ scales and zeros');
  });
});

describe('the KV cache a roofline board holds', () => {
  test("an A100 80GB holds LLaMA2-7B's fp16 cache in about the 7449 blocks vLLM logged on FlightLLM's A100", () => {
    const capacity = planMemory(fp16(loadModel('llama2-7b').model), compileTarget(roofline('a100-80gb-sxm-vllm')));
    // vLLM also reserves its profiled activation peak, which we estimate: within 2 %.
    assert.ok(Math.abs(capacity.blocks - 7449) / 7449 < 0.02, `${capacity.blocks} blocks`);
    const d = modelDims(loadModel('llama2-7b').model);
    assert.equal(capacity.bytesPerToken, 2 * d.layers * d.kvHeads * d.headDim * 2);
  });
});
