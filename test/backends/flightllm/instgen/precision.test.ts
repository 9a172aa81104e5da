import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IrError } from '../../../../src/errors.js';
import type { FlightLlmHardware } from '../../../../src/backends/index.js';
import { generateInstructions, planProgram } from '../../../../src/backends/flightllm/instgen/index.js';
import type { Dtype, Ir, Layer } from '../../../../src/ir/index.js';
import { flightllm, RecordingSink, shippedHardware, thrown, tinyDecodeIr, type Recorded, vhk158Hardware } from '../../../helpers.js';

/*
 * tinyDecodeIr's steps: the RMS norm alone, gate + SiLU, and down + the
 * residual add (which loads its second operand into the global buffer).
 * Only the activation tensors change dtype here; weights stay int8.
 */

/** The IR with every activation (input and output tensor) of the given dtype. */
function withActivations(ir: Ir, dtype: Dtype): Layer[] {
  return ir.map((layer) => ({ ...layer, input: layer.input.map((t) => ({ ...t, dtype })), output: layer.output.map((t) => ({ ...t, dtype })) }) as Layer);
}

function record(ir: Ir, hw: FlightLlmHardware = vhk158Hardware()): RecordingSink {
  const sink = new RecordingSink();
  generateInstructions(ir, hw, sink);
  return sink;
}

const field = (i: Recorded, name: string) => i.fields[name];
const isWeightLoad = (i: Recorded) => i.module === 'LD' && field(i, 'target') === 'a';
/** Loads of activations: the MV input vector (B buffer) and rows or operands into the global buffer. */
const isActivationLoad = (i: Recorded) => i.module === 'LD' && (field(i, 'target') === 'b' || field(i, 'target') === 'global');
const isMatrix = (i: Recorded) => i.module === 'MV' || i.module === 'MM';


/** VHK158 with the precision tables replaced. */
function vhk158With(precision: Record<string, unknown>): FlightLlmHardware {
  return flightllm(shippedHardware('vhk158', Object.fromEntries(Object.entries(precision).map(([key, value]) => [`precision.${key}`, value]))));
}

describe('instructions by precision', () => {
  const int8 = record(tinyDecodeIr());
  const fp16 = record(withActivations(tinyDecodeIr(), 'fp16'));
  const hw = vhk158Hardware();

  test('the stream has the same instructions and byte counts whatever the activation dtype: only ratios and rates change', () => {
    assert.deepEqual(fp16.counts(), int8.counts());
    assert.deepEqual(
      fp16.instructions.map((i) => [i.module, i.step, field(i, 'lengthBytes'), field(i, 'kBlocks')]),
      int8.instructions.map((i) => [i.module, i.step, field(i, 'lengthBytes'), field(i, 'kBlocks')]),
    );
  });

  test('int8 activations load and store at ratio 1; fp16 ones, twice as wide, at 8 / 16 = 0.5', () => {
    for (const [sink, ratio] of [[int8, 1], [fp16, 8 / 16]] as const) {
      const loads = sink.instructions.filter(isActivationLoad);
      const stores = sink.instructions.filter((i) => i.module === 'ST');
      assert.ok(loads.length > 0 && stores.length > 0);
      for (const i of [...loads, ...stores]) assert.equal(field(i, 'bandwidthRatio'), ratio, `${i.module} ${String(field(i, 'target') ?? '')} in step ${i.step}`);
    }
  });

  test("weight loads keep their ratio: 8 bits over the board's 4-bit convention, over the kept fraction", () => {
    const bits = hw.calibration.weightStreamBits.int8!;
    const ir = tinyDecodeIr();
    const keep = (name: string) => (ir.find((layer) => layer.name === name) as { param: Array<{ sparse_ratio?: number }> }).param[0]!.sparse_ratio ?? 1;
    // Step 1 is gate (dense), step 2 down (half its weights kept).
    const expected = new Map([
      [1, 8 / bits / keep('gate')],
      [2, 8 / bits / keep('down')],
    ]);
    assert.deepEqual([...expected.values()], [2, 4]);
    for (const sink of [int8, fp16]) {
      const loads = sink.instructions.filter(isWeightLoad);
      assert.ok(loads.length > 0);
      for (const i of loads) assert.equal(field(i, 'bandwidthRatio'), expected.get(i.step), `weight load in step ${i.step}`);
    }
  });

  test("fp16 × int8 matrix instructions run at the board's precision.matrixRate.fp16.int8; int8 × int8 ones at int8.int8", () => {
    const rate = hw.precision.matrixRate.fp16?.int8;
    assert.equal(typeof rate, 'number');
    assert.notEqual(rate, 1);
    const fp16Matrix = fp16.instructions.filter(isMatrix);
    assert.ok(fp16Matrix.length > 0);
    for (const i of fp16Matrix) assert.equal(field(i, 'rate'), rate);
    for (const i of int8.instructions.filter(isMatrix)) assert.equal(field(i, 'rate'), hw.precision.matrixRate.int8?.int8);
  });

  test('vector instructions run at precision.vectorRate of their data', () => {
    for (const [sink, dtype] of [[int8, 'int8'], [fp16, 'fp16']] as const) {
      const misc = sink.instructions.filter((i) => i.module === 'MISC');
      assert.ok(misc.length > 0);
      for (const i of misc) assert.equal(field(i, 'rate'), hw.precision.vectorRate[dtype], `MISC in step ${i.step}`);
    }
  });

  test('a board without a rate for fp16 × int8 refuses to plan, naming the missing precision.matrixRate entry and each layer', () => {
    const int8Only = vhk158With({ matrixRate: { int8: { int8: 1 } } });
    const error = thrown(IrError, () => planProgram(withActivations(tinyDecodeIr(), 'fp16'), int8Only));
    assert.match(error.message, /precision\.matrixRate\.fp16\.int8/);
    assert.deepEqual(
      error.issues.filter((issue) => /precision\.matrixRate/.test(issue.message)).map((issue) => issue.path),
      ['layer 2 "gate".param[0].dtype', 'layer 4 "down".param[0].dtype'],
    );
    assert.match(error.issues[0]!.message, /matrix engine cannot multiply fp16 by int8/);
    // The same board still runs the int8 IR.
    assert.doesNotThrow(() => planProgram(tinyDecodeIr(), int8Only));
  });

  test('a board without a vector rate for fp16 refuses to plan, naming precision.vectorRate.fp16', () => {
    const noFp16Vector = vhk158With({ vectorRate: { int8: 1 } });
    const error = thrown(IrError, () => planProgram(withActivations(tinyDecodeIr(), 'fp16'), noFp16Vector));
    assert.match(error.message, /no precision\.vectorRate\.fp16/);
    assert.ok(error.issues.some((issue) => issue.path === 'layer 1 "norm".input[0].dtype'), JSON.stringify(error.issues));
  });
});
