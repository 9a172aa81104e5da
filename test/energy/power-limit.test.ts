import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createStepCostModel, type StepCost } from '../../src/cost/index.js';
import { ConfigError } from '../../src/errors.js';
import { boardDefaultPrecision } from '../../src/compiler/index.js';
import { compileTarget } from '../../src/backends/index.js';
import { loadModel, parseModel, PrecisionSchema, type Model } from '../../src/model/index.js';
import { shippedHardware } from '../helpers.js';

/*
 * A board held to its maximum power (a GPU's power limit): a step its
 * arithmetic bounds takes at least its energy beyond idle over the headroom
 * between idle and maximum power, so it never averages above the maximum
 * and its energy is still all of its work; a step its memory bounds keeps
 * its time (power capping lowers core clocks, not the memory's). The
 * A100-PCIe is the case that needs it: a 300 W card with the SXM's
 * arithmetic (validation/measurements.csv, its fitted rows).
 */

/** Two of LLaMA-2-7B's layers: each streams and computes what a real layer does. */
const twoLayers = parseModel({ name: 'llama2-7b-2l', architecture: { ...loadModel('llama2-7b').model.architecture, num_hidden_layers: 2 } }).model;
const prefill = { sequences: Array.from({ length: 4 }, () => ({ newTokens: 2048, context: 0 })) };
const decode = { sequences: [{ newTokens: 1, context: 512 }] };
/** Far above any card: the same board with nothing to hold it back. */
const UNLIMITED_WATTS = 100_000;

function costs(name: string, overrides?: Readonly<Record<string, unknown>>) {
  const hardware = shippedHardware(name, overrides);
  return createStepCostModel({ hardware, model: atBoardPrecision(twoLayers, hardware) });
}

function atBoardPrecision(model: Model, hardware: ReturnType<typeof shippedHardware>): Model {
  const preset = boardDefaultPrecision(model, compileTarget(hardware));
  return preset === undefined ? model : { ...model, mapping: { ...model.mapping, precision: PrecisionSchema.parse(preset) } };
}

function watts(cost: StepCost): number {
  return cost.energy!.averageWatts;
}

describe('a board held to its maximum power', () => {
  const board = 'a100-80gb-pcie';
  const hardware = shippedHardware(board);
  const [idleWatts, maxWatts] = [hardware.energy!.idleWatts, hardware.energy!.dynamic.maxWatts!];

  test(`${board}: a compute-bound prefill that would draw more than ${maxWatts} W slows until it does not`, () => {
    const free = costs(board, { 'energy.dynamic.maxWatts': UNLIMITED_WATTS }).exact(prefill);
    const held = costs(board).exact(prefill);
    assert.equal(held.bound.limit, 'compute');
    // The case is real: the schedule alone would average more than the limit.
    assert.ok(free.dynamicJ / (free.totalMs / 1000) + idleWatts > maxWatts, `${(free.dynamicJ / (free.totalMs / 1000) + idleWatts).toFixed(0)} W unheld`);
    assert.ok(held.totalMs > free.totalMs);
    assert.ok(watts(held) <= maxWatts * (1 + 1e-9), `${watts(held).toFixed(1)} W average`);
    // Conservation: the same work, so the same energy beyond idle, and idle power over the longer time.
    assert.ok(Math.abs(held.dynamicJ - free.dynamicJ) <= free.dynamicJ * 1e-12);
    assert.ok(held.energy!.joules >= held.dynamicJ + (idleWatts * held.totalMs) / 1000 - 1e-9);
    // At the limit exactly: the time is the work's energy over the headroom.
    assert.ok(Math.abs(held.totalMs - (held.dynamicJ / (maxWatts - idleWatts)) * 1000) <= held.totalMs * 1e-9);
  });

  test(`${board}: the fast path holds the summed step to the same limit`, () => {
    const held = costs(board).fast(prefill);
    assert.ok(watts(held) <= maxWatts * (1 + 1e-9), `${watts(held).toFixed(1)} W average`);
    assert.ok(held.totalMs >= (held.dynamicJ / (maxWatts - idleWatts)) * 1000 * (1 - 1e-9));
  });

  test(`${board}: a memory-bound decode keeps its time whatever the limit`, () => {
    const free = costs(board, { 'energy.dynamic.maxWatts': UNLIMITED_WATTS }).exact(decode);
    const held = costs(board).exact(decode);
    assert.equal(held.bound.limit, 'memory');
    assert.equal(held.totalMs, free.totalMs);
    assert.ok(watts(held) <= maxWatts * (1 + 1e-9));
  });

  test('a maximum power at or below idle power is refused, naming the field', () => {
    assert.throws(
      () => shippedHardware(board, { 'energy.dynamic.maxWatts': idleWatts }),
      (error: unknown) => error instanceof ConfigError && /dynamic\.maxWatts/.test(error.message) && /above idleWatts/.test(error.message),
    );
  });
});
