import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { createStepCostModel } from '../../src/cost/index.js';
import { fpgaLogicJoules, fpgaPower, idleJoules, stepEnergy } from '../../src/energy/index.js';
import { loadModel } from '../../src/model/index.js';
import type { Hardware } from '../../src/backends/index.js';
import { shippedHardware, thrown, tinyModel } from '../helpers.js';

/*
 * FPGA power (`energy.dynamic.model: fpga`): the device's static power, the
 * design's parts switching while their modules are busy, the clock network
 * always, and the memory's bytes. Checked against FlightLLM's measured
 * ~45 W on the U280 (LLaMA2-7B decode at batch 1: FlightLLM Fig. 1, AccLLM
 * Table VII, Hummingbird+ Table 5), against bounds that follow from the
 * model's parts, and for how it moves with the design.
 */

const decode = { sequences: [{ newTokens: 1, context: 511 }] };
const tiny = tinyModel();

function watts(hw: Hardware, model = tiny) {
  const cost = createStepCostModel({ hardware: hw, model }).exact(decode);
  return { cost, watts: cost.energy!.averageWatts };
}

describe('the power of an FPGA design', () => {
  test("the U280 draws FlightLLM's measured ~45 W decoding LLaMA2-7B at batch 1, within 2 %", () => {
    const { watts: w } = watts(shippedHardware('u280'), loadModel('llama2-7b').model);
    assert.ok(Math.abs(w - 45) / 45 < 0.02, `${w} W`);
  });

  test('a step draws at least the static power and its memory traffic, and at most that plus the clock network and every part busy the whole step', () => {
    const hw = shippedHardware('u280');
    const { cost } = watts(hw);
    const power = fpgaPower(hw)!;
    const seconds = cost.totalMs / 1000;
    const floor = hw.energy!.idleWatts * seconds + cost.dynamicJ;
    const ceiling = floor + (power.clockWatts + power.parts.reduce((sum, part) => sum + part.busyWatts, 0)) * seconds;
    assert.ok(cost.energy!.joules > floor && cost.energy!.joules < ceiling, `${floor} < ${cost.energy!.joules} < ${ceiling}`);
  });

  test('a part draws only while its modules are busy: a step where nothing ran costs the clock network alone', () => {
    const power = fpgaPower(shippedHardware('u280'))!;
    assert.equal(fpgaLogicJoules(power, 10, {}), power.clockWatts * 0.01);
    // Busy time beyond the step is capped at the step: 16 ms of MM and MV in a 10 ms step keep every part they drive busy 10 ms.
    const driven = power.parts.filter((part) => part.modules.includes('MM') || part.modules.includes('MV'));
    assert.ok(driven.length >= 1);
    const capped = fpgaLogicJoules(power, 10, { MM: 8, MV: 8 }) - fpgaLogicJoules(power, 10, {});
    assert.ok(Math.abs(capped - driven.reduce((sum, part) => sum + part.busyWatts, 0) * 0.01) < 1e-12);
  });

  test('power follows the design: a wider matrix engine and a faster clock draw more, from the same activity', () => {
    const base = fpgaPower(shippedHardware('u280'))!;
    const wide = fpgaPower(shippedHardware('u280', { 'mpe.matrixMatrix.parallelism.n': 4, 'buffers.b.widthBytes.matrixVector': 16 }))!;
    const fast = fpgaPower(shippedHardware('u280', { 'clock.frequencyMHz': 300 }))!;
    const matrix = (p: typeof base) => p.parts.find((part) => part.name === 'matrix engine')!.busyWatts;
    assert.ok(matrix(wide) > 1.9 * matrix(base));
    // Dynamic power is energy per cycle times cycles per second.
    assert.ok(Math.abs(matrix(fast) / matrix(base) - 300 / 225) < 1e-12);
    assert.ok(Math.abs(fast.clockWatts / base.clockWatts - 300 / 225) < 1e-12);
  });

  test("the parts' power grows in proportion to the toggle rate", () => {
    const at = (rate: number) => fpgaPower(shippedHardware('u280', { 'energy.dynamic.toggleRate': rate }))!.parts.map((part) => part.busyWatts);
    const [low, high] = [at(0.1), at(0.2)];
    low.forEach((w, i) => assert.ok(Math.abs(high[i]! / w - 2) < 1e-12));
  });

  test('between steps a loaded design draws its static power and its clock network', () => {
    const hw = shippedHardware('u280');
    assert.ok(Math.abs(idleJoules(hw, 1000)! - (hw.energy!.idleWatts + fpgaPower(hw)!.clockWatts)) < 1e-9);
  });

  test('the static power is the device file’s: changing it moves every step by the same watts', () => {
    const hw = shippedHardware('u280');
    const hotter = shippedHardware('u280', { 'device.power.staticWatts': 30 });
    assert.equal(hotter.energy!.idleWatts, 30);
    const step = { totalMs: 10, boundMs: 5, dynamicJ: 0.01, modules: { MV: 5, LD: 9 } };
    assert.ok(Math.abs(stepEnergy(hotter, step)!.averageWatts - stepEnergy(hw, step)!.averageWatts - (30 - hw.energy!.idleWatts)) < 1e-9);
  });

  test('a board whose kind estimates no resources cannot use the FPGA power model', () => {
    const error = thrown(ConfigError, () => shippedHardware('u250', { 'energy.dynamic': { model: 'fpga', memoryPjPerByte: 160, toggleRate: 0.3 } }));
    assert.match(error.message, /energy\.dynamic\.model: fpga needs a resource estimate of the design/);
  });
});
