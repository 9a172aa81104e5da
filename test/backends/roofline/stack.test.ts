import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileTarget, loadHardware, loadStack, shippedStackNames, simulate, type Hardware, type RooflineHardware } from '../../../src/backends/index.js';
import { compileModel, planMemory } from '../../../src/compiler/index.js';
import { createStepCostModel } from '../../../src/cost/index.js';
import { ConfigError } from '../../../src/errors.js';
import { modelDims, PrecisionSchema, type Model } from '../../../src/model/index.js';
import { engineSettings } from '../../../src/serving/index.js';
import { testCache, thrown, TINY_MOE_ARCHITECTURE, tinyModel, tinyVariant } from '../../helpers.js';

/*
 * Software stacks (hardware/stacks/): a stack replaces a GPU board's launch
 * cost, adds the host's time between steps, may change its kernels'
 * efficiencies and widening work, and sets the scheduler's defaults.
 * Weight-only kernels pay their widening on the vector cores. Expected
 * times follow from the definitions, with the tiny model's dimensions.
 */

const withStack = (board: string, stack: string, overrides?: Record<string, unknown>): RooflineHardware => loadHardware(board, { cache: testCache(), stack, overrides }) as RooflineHardware;
const at = (model: Model, preset: unknown): Model => ({ ...model, mapping: { ...model.mapping, precision: PrecisionSchema.parse(preset) } });
const tiny = at(tinyModel(), 'FP16');
const decode = (sequences: number, context: number) => ({ sequences: Array.from({ length: sequences }, () => ({ newTokens: 1, context })) });
const modules = (hw: Hardware, model: Model, batch: ReturnType<typeof decode>) => {
  const profile = simulate(compileModel(model, { batch, target: compileTarget(hw) }).ir, hw);
  return { totalMs: profile.totalMs, busy: (name: string) => profile.modules[name]!.busyMs };
};

describe("routed experts' efficiencies", () => {
  const moe = tinyVariant({ ...TINY_MOE_ARCHITECTURE }, { precision: 'FP16' });
  const prefill = { sequences: [{ newTokens: 256, context: 0 }] };
  const board = (experts?: Record<string, number>) => loadHardware('h100-sxm', { cache: testCache(), overrides: experts === undefined ? {} : { 'efficiency.experts': experts } }) as RooflineHardware;

  test("stated equal to the linear ones, or not stated, they change nothing", () => {
    const plain = board();
    const same = board({ compute: plain.efficiency.linear.compute, memory: plain.efficiency.linear.memory });
    assert.equal(modules(same, moe, prefill).totalMs, modules(plain, moe, prefill).totalMs);
  });

  test('a lower expert compute efficiency slows a mixture of experts and leaves a dense model as it was', () => {
    const plain = board();
    const slower = board({ compute: plain.efficiency.linear.compute / 2 });
    const [before, after] = [modules(plain, moe, prefill), modules(slower, moe, prefill)];
    assert.ok(after.busy('COMPUTE') > before.busy('COMPUTE'), `${before.busy('COMPUTE')} → ${after.busy('COMPUTE')} ms`);
    // Only the routed experts' compute doubles: the step takes less than twice its compute time longer.
    assert.ok(after.busy('COMPUTE') < 2 * before.busy('COMPUTE'));
    assert.equal(after.busy('MEMORY'), before.busy('MEMORY'));
    assert.equal(modules(slower, tiny, prefill).totalMs, modules(plain, tiny, prefill).totalMs);
  });

  test("a stack's expert efficiencies reach a board that states none, the rest staying the linear ones", () => {
    const hw = withStack('h100-sxm', 'tensorrt-llm');
    const stack = loadStack('tensorrt-llm');
    assert.equal(hw.efficiency.experts?.compute, stack.efficiency!.experts!.compute);
    assert.equal(hw.efficiency.experts?.memory, undefined);
  });
});

describe("FP8 projections' own compute efficiency", () => {
  const prefill = { sequences: [{ newTokens: 512, context: 0 }] };
  const board = (fp8Compute?: number) => loadHardware('h100-sxm', { cache: testCache(), overrides: fp8Compute === undefined ? {} : { 'efficiency.linear.fp8Compute': fp8Compute } }) as RooflineHardware;

  test('stated equal to the linear one, or not stated, it changes nothing', () => {
    const plain = board();
    const fp8 = at(tinyModel(), 'FP8');
    assert.equal(modules(board(plain.efficiency.linear.compute), fp8, prefill).totalMs, modules(plain, fp8, prefill).totalMs);
  });

  test('a lower one slows an FP8 prefill by at most its ratio and leaves FP16 as it was', () => {
    const plain = board();
    const slower = board(plain.efficiency.linear.compute / 2);
    const fp8 = at(tinyModel(), 'FP8');
    const [before, after] = [modules(plain, fp8, prefill), modules(slower, fp8, prefill)];
    assert.ok(after.busy('COMPUTE') > before.busy('COMPUTE'), `${before.busy('COMPUTE')} → ${after.busy('COMPUTE')} ms`);
    // Only the projections' compute doubles, not attention's: less than twice the compute time.
    assert.ok(after.busy('COMPUTE') < 2 * before.busy('COMPUTE'));
    assert.equal(after.busy('MEMORY'), before.busy('MEMORY'));
    assert.equal(modules(slower, tiny, prefill).totalMs, modules(plain, tiny, prefill).totalMs);
  });
});

describe('software stacks', () => {
  test('every shipped stack loads and names the measurements it describes', () => {
    for (const name of shippedStackNames()) assert.ok(loadStack(name).measurements.software.length > 0, name);
  });

  test("a stack replaces the board's launch cost and carries its host time and scheduler defaults", () => {
    const stack = loadStack('vllm-0.5-cudagraphs');
    const hw = withStack('h100-sxm', 'vllm-0.5-cudagraphs');
    assert.equal(hw.kernelLaunchUs, stack.kernelLaunchUs);
    assert.deepEqual([hw.stack!.name, hw.stack!.stepUs, hw.stack!.sequenceUs], [stack.name, stack.host.stepUs, stack.host.sequenceUs]);
    assert.equal(hw.efficiency.attention.memory, stack.efficiency!.attention!.memory);
    // The board's other values stay.
    assert.equal(hw.memory.bandwidthGBps, 3350);
  });

  test('the host adds stepUs once a step and sequenceUs per sequence, after the kernels', () => {
    const quiet = withStack('h100-sxm', 'vllm-0.5-cudagraphs', { 'stack.stepUs': 0, 'stack.sequenceUs': 0 });
    const host = withStack('h100-sxm', 'vllm-0.5-cudagraphs', { 'stack.stepUs': 300, 'stack.sequenceUs': 20 });
    for (const sequences of [1, 8]) {
      const difference = modules(host, tiny, decode(sequences, 100)).totalMs - modules(quiet, tiny, decode(sequences, 100)).totalMs;
      assert.ok(Math.abs(difference - (300 + 20 * sequences) / 1000) < 1e-9, `${sequences} sequences: ${difference} ms`);
      assert.ok(Math.abs(modules(host, tiny, decode(sequences, 100)).busy('HOST') - (300 + 20 * sequences) / 1000) < 1e-9);
    }
  });

  test('the fast cost path counts the host once a step, as the exact one does', () => {
    const hw = withStack('h100-sxm', 'vllm-0.5-cudagraphs', { 'stack.stepUs': 300, 'stack.sequenceUs': 20 });
    const costs = createStepCostModel({ hardware: hw, model: tiny });
    const batch = { sequences: [{ newTokens: 1, context: 300 }, { newTokens: 1, context: 40 }, { newTokens: 64, context: 0 }] };
    const [fast, exact] = [costs.fast(batch), costs.exact(batch)];
    assert.ok(Math.abs(fast.modules['HOST']! - exact.modules['HOST']!) < 1e-9);
    assert.ok(Math.abs(fast.totalMs - exact.totalMs) / exact.totalMs < 0.01, `fast ${fast.totalMs}, exact ${exact.totalMs}`);
  });

  test("the scheduler's defaults are the stack's unless the run sets its own", () => {
    const hw = withStack('a100-80gb-sxm', 'vllm-0.5-cudagraphs');
    // vLLM without chunked prefill: the token budget is the longest sequence, at least 2048.
    assert.deepEqual(engineSettings({ hardware: hw }, 4096), { maxNumSeqs: 256, maxNumBatchedTokens: 4096, enableChunkedPrefill: false, enablePrefixCaching: false });
    assert.equal(engineSettings({ hardware: hw, maxNumBatchedTokens: 512, enableChunkedPrefill: true }, 4096).maxNumBatchedTokens, 512);
    assert.deepEqual(engineSettings({ hardware: loadHardware('a100-80gb-sxm', { cache: testCache() }) }, 4096), { maxNumSeqs: 256, maxNumBatchedTokens: 2048, enableChunkedPrefill: true, enablePrefixCaching: true });
  });

  test('a stack is refused on an FPGA board, naming the board file and the kind', () => {
    assert.match(thrown(ConfigError, () => loadHardware('vhk158', { stack: 'tensorrt-llm' })).message, /vhk158\.yaml: --stack tensorrt-llm applies to GPUs and ASICs \(kind: roofline\)/);
  });
});

describe('weight-only kernels', () => {
  const hw = withStack('a100-80gb-sxm', 'gpt-fast');
  const d = modelDims(tiny);
  // Every weight the step widens: seven projections a layer, and the head.
  const elements = d.layers * (d.hidden * d.qWidth + 2 * d.hidden * d.kvWidth + d.qWidth * d.hidden + 3 * d.hidden * d.intermediate) + d.hidden * d.vocab;

  test('widen every weight element on the vector cores, and pay per group for scales and zeros', () => {
    const cost = hw.dequantization!;
    const vectorOpsPerMs = hw.compute.vectorTops! * 1e9;
    const int8 = modules(hw, at(tinyModel(), 'W8A16'), decode(1, 100)).busy('DEQUANT');
    assert.ok(Math.abs(int8 - (elements * cost.opsPerElement) / vectorOpsPerMs) / int8 < 1e-9, `${int8} ms`);
    // Groups of 32 along K: one scale and zero for every 32 weights of a column.
    const int4 = modules(hw, at(tinyModel(), { preset: 'W4A16', groupSize: 32, groupBits: 32 }), decode(1, 100)).busy('DEQUANT');
    assert.ok(Math.abs(int4 - (elements * cost.opsPerElement + (elements / 32) * cost.opsPerGroup) / vectorOpsPerMs) / int4 < 1e-9, `${int4} ms`);
  });

  test('cost nothing where weights are as wide as the activations, or the board describes no widening', () => {
    assert.equal(modules(hw, tiny, decode(1, 100)).busy('DEQUANT'), 0);
    assert.equal(modules(withStack('a100-80gb-sxm', 'gpt-fast', { dequantization: undefined }), at(tinyModel(), 'W8A16'), decode(1, 100)).busy('DEQUANT'), 0);
  });
});

describe('memory the runtime reserves', () => {
  const GIB = 2 ** 30;
  const kvWith = (reservedGiB: number) => planMemory(tiny, compileTarget(withStack('h100-sxm', 'tensorrt-llm', { 'memory.reservedGiB': reservedGiB })));

  test("comes off the KV cache's share of what weights and activations leave, and nothing else", () => {
    const [none, some] = [kvWith(0), kvWith(3)];
    assert.equal(some.weightBytes, none.weightBytes);
    assert.equal(some.activationBytes, none.activationBytes);
    // TensorRT-LLM's KV cache takes kvCacheFreeMemoryFraction of what is left: the reserve shrinks it by that share of 3 GiB.
    const share = loadStack('tensorrt-llm').kvCacheFreeMemoryFraction!;
    assert.ok(Math.abs(none.freeBytes - some.freeBytes - share * 3 * GIB) < 1, `${none.freeBytes - some.freeBytes} B`);
    assert.ok(none.blocks - some.blocks >= Math.floor((share * 3 * GIB) / none.blockBytes));
  });

  test('a reserve of all the usable memory is refused, naming the field', () => {
    const error = thrown(ConfigError, () => withStack('h100-sxm', 'tensorrt-llm', { 'memory.reservedGiB': 200 }));
    assert.match(error.message, /reservedGiB/);
    assert.match(error.message, /less than the usable memory/);
  });
});
