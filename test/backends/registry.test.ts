import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { z } from 'zod';
import {
  backendFor,
  compileTarget,
  hardwareKinds,
  parseHardware,
  registerBackend,
  simulate,
  unregisterBackend,
  type HardwareBackend,
  type Profile,
} from '../../src/backends/index.js';
import { compileModel } from '../../src/compiler/index.js';
import { ConfigError } from '../../src/errors.js';
import { planSteps } from '../../src/ir/index.js';
import { serve } from '../../src/serving/index.js';
import { tinyModel } from '../helpers.js';

/*
 * A new kind of hardware is one backend: a toy kind, registered at run
 * time and never touching the package, is validated by its own schema,
 * compiled for, simulated, bounded and served on like the built-in kinds.
 * Each of its steps takes `stepUs` microseconds, so a profile's total
 * follows from the number of steps the IR plans.
 */

const ToySchema = z.strictObject({ kind: z.literal('toy'), name: z.string(), stepUs: z.number().positive(), memoryGiB: z.number().positive() });
type ToyBoard = z.infer<typeof ToySchema>;

const toyBackend: HardwareBackend<ToyBoard> = {
  kind: 'toy',
  schema: ToySchema,
  deviceLabel: 'TOY',
  moduleNames: ['ALU'],
  sensitivityKeys: ['stepUs'],
  check: () => [],
  refusePrecision: (_, precision) => (precision.weights === 'int4' ? 'it has no int4 datapath' : undefined),
  target: (hw) => ({
    blockSize: 1,
    blockSizeField: 'none',
    maxTokens: 4096,
    maxTokensField: 'none',
    padTokens: { prefill: 1, decode: 1 },
    memory: [{ name: 'DRAM', field: 'memoryGiB', capacityBytes: hw.memoryGiB * 2 ** 30, holds: ['weights', 'kvCache', 'activations'] }],
    storesPrunedWeights: false,
    flightllmForms: false,
    kvBlockTokens: 16,
    weightBits: () => 8,
  }),
  maskGeometry: () => undefined,
  // Peaks no step comes near: the bound never exceeds what the toy takes.
  peaks: () => ({ bytesPerSecond: 1e18, macsPerSecond: 1e18, rate: () => 1, kvCacheInPeakMemory: true, runs: () => true }),
  simulate: (ir, hw): Profile => {
    const stepMs = hw.stepUs / 1000;
    const { steps } = planSteps(ir);
    const profiled = steps.map((step, index) => ({ index, irIndex: step.irIndex, name: step.layer.name, type: step.layer.type, startMs: index * stepMs, endMs: (index + 1) * stepMs, modules: { ALU: { count: 1, busyMs: stepMs } } }));
    return { totalMs: steps.length * stepMs, instructionCount: steps.length, moduleNames: ['ALU'], modules: { ALU: { count: steps.length, busyMs: steps.length * stepMs } }, steps: profiled };
  },
  rowStructure: () => ({ periodRows: undefined, affineRows: 1 }),
  parallelSequences: () => 1,
};

const board = { kind: 'toy', name: 'toy-1', stepUs: 2, memoryGiB: 1 };

describe('a kind of hardware of your own', () => {
  registerBackend(toyBackend);
  after(() => unregisterBackend('toy'));

  test('is validated by its own schema once registered', () => {
    assert.ok(hardwareKinds().includes('toy'));
    assert.equal(parseHardware(board).kind, 'toy');
    assert.throws(() => parseHardware({ ...board, stepUs: -1 }), (error) => error instanceof ConfigError && /stepUs/.test(error.message));
    assert.throws(() => registerBackend(toyBackend), /already registered/);
  });

  test('is compiled for, simulated and served on like a built-in kind', () => {
    const hw = parseHardware(board);
    const model = tinyModel({ precision: 'FP16' });
    const { ir } = compileModel(model, { batch: { sequences: [{ newTokens: 1, context: 20 }] }, target: compileTarget(hw) });
    const profile = simulate(ir, hw);
    assert.equal(profile.totalMs, planSteps(ir).steps.length * 0.002);
    assert.equal(backendFor(hw).deviceLabel, 'TOY');
    // The whole serving stack runs on it: step costs, the KV cache its memory leaves, the loop, the metrics.
    const { result } = serve({ hardware: hw, model, workload: { datasetName: 'random', numPrompts: 3, randomInputLen: 32, randomOutputLen: 4, randomRangeRatio: 0, seed: 1 } });
    assert.equal(result.completed, 3);
    assert.equal(result.hardware, 'toy-1');
    assert.ok(result.mean_ttft_ms > 0);
  });

  test("refuses a precision it says it cannot run, naming the board's reason", () => {
    const hw = parseHardware(board);
    assert.throws(() => compileModel(tinyModel({ precision: 'W4A16' }), { stage: 'decode', tokens: 16, target: compileTarget(hw) }), /toy-1 does not run .* no int4 datapath/);
  });
});

test('an unregistered kind is refused, naming the kinds there are', () => {
  assert.throws(() => parseHardware({ ...board, kind: 'tpu' }), /unknown kind "tpu", expected one of flightllm, dpu-host, roofline/);
});
