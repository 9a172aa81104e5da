import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { designOf, totalResources, type FpgaDesign } from '../../../src/backends/index.js';
import { flightllm, shippedHardware } from '../../helpers.js';

/*
 * The resource model of FlightLLM's design. Its one published utilisation,
 * on the U280 (Hummingbird+, FPGA'26, Table 5, as a third party quotes it):
 * 225 MHz, ~574K LUTs, 6,345 DSPs. The LUT coefficient is fitted to the
 * LUTs; the DSP count is not fitted, so it checks the model.
 */

const designOn = (board: string, overrides?: Record<string, unknown>): FpgaDesign => designOf(shippedHardware(board, overrides))!;
const part = (design: FpgaDesign, name: string) => design.parts.find((p) => p.name === name)!.resources;

describe("FlightLLM's design in FPGA resources", () => {
  test('on the U280 its DSP slices come within 1 % of the 6,345 FlightLLM reports', () => {
    const dsp = totalResources(designOn('u280').parts).dsp;
    assert.ok(Math.abs(dsp - 6345) / 6345 < 0.01, `${dsp} DSP slices`);
  });

  test('on the U280 its LUTs meet the ~574K FlightLLM reports (the coefficient fitted to them)', () => {
    const lut = totalResources(designOn('u280').parts).lut;
    assert.ok(Math.abs(lut - 574000) / 574000 < 0.001, `${lut} LUTs`);
  });

  test('every SLR holds a copy: resources scale with the SLR count', () => {
    const three = totalResources(designOn('u280').parts);
    const four = totalResources(designOn('u280', { slrCount: 4, 'calibration.timeDivisor': 3.2 }).parts);
    for (const resource of ['lut', 'ff', 'dsp', 'bram36', 'uram'] as const) assert.ok(Math.abs(four[resource] / three[resource] - 4 / 3) < 1e-9, resource);
  });

  test("a DSP58 packs three int8 MACs where a DSP48E2 packs two: the same matrix engine takes about 2/3 of the slices on the V80 as on the U280", () => {
    const ratio = part(designOn('v80'), 'matrix engine').dsp / part(designOn('u280'), 'matrix engine').dsp;
    assert.ok(Math.abs(ratio - 2 / 3) < 0.001, String(ratio));
  });

  test('the matrix engine is sized by its wider mode: a matrix-vector engine wider than the matrix-matrix one costs DSPs in proportion, a narrower one nothing', () => {
    const hw = flightllm(shippedHardware('u280'));
    const mm = hw.mpe.matrixMatrix.parallelism;
    const mmMacs = mm.n * mm.k * mm.m;
    const base = part(designOn('u280'), 'matrix engine').dsp;
    // Halving the matrix-vector engine (64 → 32) leaves the wider matrix-matrix mode in charge.
    assert.equal(part(designOn('u280', { 'mpe.matrixVector.parallelism.n': 32 }), 'matrix engine').dsp, base);
    // 512 × 16 MACs: twice the matrix-matrix mode's 4,096, so twice the slices.
    const wide = part(designOn('u280', { 'mpe.matrixVector.parallelism.n': 512 }), 'matrix engine').dsp;
    assert.equal(wide, (base * 512 * 16) / mmMacs);
  });

  test('the buffers fit in the RAM blocks chosen for them, with less than one block of slack per bank', () => {
    const hw = flightllm(shippedHardware('u280'));
    const { a, b, global, meta, fsb, bias } = hw.buffers;
    const max = (o: Record<string, number>) => Math.max(...Object.values(o));
    // Bits each SLR must hold, from the buffers' geometry.
    const bits =
      8 *
      (a.depthWords * a.bankWidthBytes * max(a.banksPerChannel) * a.hbmChannels.count +
        b.depthWords * max(b.widthBytes) +
        global.depthWords * global.bankWidthBytes * max(global.banksPerChannel) * global.hbmChannels.count +
        meta.depthWords * meta.widthBytes +
        fsb.depthWords * fsb.widthBytes +
        bias.depthWords * bias.widthBytes);
    const rams = part(designOn('u280'), 'buffers');
    // 36 Kb block RAMs and 288 Kb UltraRAMs (72-bit words: 64 data bits per 72 of a byte-wide bank).
    const held = (rams.bram36 * 36 * 1024 + rams.uram * 288 * 1024) / hw.slrCount;
    assert.ok(held >= bits, `${held} bits held for ${bits}`);
    const banks = a.hbmChannels.count * max(a.banksPerChannel) + global.hbmChannels.count * max(global.banksPerChannel) + 4;
    assert.ok(held - bits < banks * 288 * 1024, 'at most one UltraRAM of slack per bank');
  });
});
