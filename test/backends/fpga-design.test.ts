import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { designFit, loadHardware, requireFit, type FitItem } from '../../src/backends/index.js';
import { DeviceFitError } from '../../src/errors.js';
import { shippedHardware, temporaryDirectory, thrown, VHK158 } from '../helpers.js';

/*
 * A design against its FPGA device: every line of the check compares what
 * the design uses with the data sheet's figure (hardware/devices/*.yaml);
 * a line above 100 % refuses the design, naming it; a figure no source gave
 * is reported as unchecked rather than guessed.
 */

const lineOf = (board: string, item: FitItem, overrides?: Record<string, unknown>) => designFit(shippedHardware(board, overrides))!.lines.find((line) => line.item === item)!;

describe('the device check', () => {
  test('the shipped FlightLLM boards and the U250 fit their devices', () => {
    for (const board of ['vhk158', 'u280', 'v80', 'u250']) assert.equal(designFit(shippedHardware(board))!.fits, true, board);
  });

  test('a design wider than its device is refused, naming the resource: a 512-wide matrix-vector engine on the U280 needs more DSP slices than it has', () => {
    const hw = shippedHardware('u280', { 'mpe.matrixVector.parallelism.n': 512 });
    const error = thrown(DeviceFitError, () => requireFit(hw));
    assert.match(error.message, /^u280's design does not fit its device XCU280 \(xcu280-fsvh2892-2L-e\): DSP slices: [\d,]+ \+ 4 the platform keeps of 9,024 \(1\d\d\.\d %\)\.$/);
    // The same board as shipped is not refused.
    requireFit(shippedHardware('u280'));
  });

  test("memory bandwidth is checked against the data sheet's peak: the VHK158 at 1,228.8 GB/s asks 150 % of the 819.2 its HBM gives (16 controllers × 51.2 GB/s)", () => {
    const line = lineOf('vhk158', 'memoryBandwidth', { 'hbm.bandwidthGiBps': 1228.8 });
    assert.equal(line.capacity, 16 * 51.2);
    assert.ok(Math.abs(line.utilization! - 1228.8 / 819.2) < 1e-12);
    assert.equal(designFit(shippedHardware('vhk158', { 'hbm.bandwidthGiBps': 1228.8 }))!.fits, false);
    // 819.2, FlightLLM's own figure, is exactly the device's peak.
    assert.ok(Math.abs(lineOf('vhk158', 'memoryBandwidth').utilization! - 1) < 1e-12);
  });

  test("a board stating true GiB/s is converted back to GB/s for the check: the U280's 460e9 / 2^30 GiB/s is 100 % of UG1393's 460 GB/s", () => {
    assert.ok(Math.abs(lineOf('u280', 'memoryBandwidth').used - 460) < 1e-9);
  });

  test("the clock is held to the DSP slice's data-sheet maximum (DS923: 644 MHz for the U280's -2L DSP48E2 at 0.72 V)", () => {
    assert.equal(lineOf('u280', 'clock').capacity, 644);
    assert.equal(designFit(shippedHardware('u280', { 'clock.frequencyMHz': 644 }))!.fits, true);
    assert.equal(designFit(shippedHardware('u280', { 'clock.frequencyMHz': 700 }))!.fits, false);
  });

  test("utilisation counts what the platform's shell keeps: the U280's LUTs are (design + 107,629) / 1,303,680", () => {
    const line = lineOf('u280', 'lut');
    assert.equal(line.reserved, 107629);
    assert.equal(line.utilization, (line.used + 107629) / 1303680);
  });

  test('a capacity no source gave is unchecked, with its reason, and refuses nothing: the XCVH1582 resource counts', () => {
    const fit = designFit(shippedHardware('vhk158'))!;
    for (const item of ['lut', 'ff', 'dsp', 'bram36', 'uram', 'slrs'] as const) {
      const line = fit.lines.find((l) => l.item === item)!;
      assert.equal(line.utilization, null, item);
      assert.match(line.unchecked!, /not found|not stated/, item);
    }
    assert.equal(fit.maxResourceUtilization, null);
    // A resource estimate far beyond any device is still not refused where the capacity is unknown.
    assert.equal(designFit(shippedHardware('vhk158', { 'mpe.matrixVector.parallelism.n': 4096 }))!.fits, true);
  });

  test('the highest resource utilisation is the largest of the five resource lines, and leaves the memory lines out', () => {
    const fit = designFit(shippedHardware('u280'))!;
    const resources = fit.lines.filter((line) => ['lut', 'ff', 'dsp', 'bram36', 'uram'].includes(line.item));
    assert.equal(fit.maxResourceUtilization, Math.max(...resources.map((line) => line.utilization!)));
    assert.ok(fit.maxResourceUtilization! < 1);
  });

  test('a board file elsewhere that extends a shipped board finds the device its parent names', () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'mine.yaml');
    writeFileSync(path, `extends: ${VHK158}\nname: mine\n`);
    assert.equal(designFit(loadHardware(path))!.device, 'XCVH1582');
  });

  test('a board with no device is not checked', () => {
    assert.equal(designFit(shippedHardware('vhk158', { device: undefined, 'energy.dynamic': { model: 'work', memoryPjPerByte: 100, macPj: { int8: 5 } }, 'energy.idleWatts': 35 })), undefined);
    assert.equal(designFit(shippedHardware('a100-80gb-sxm')), undefined);
  });
});
