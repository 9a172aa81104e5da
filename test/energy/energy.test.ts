import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simulate } from '../../src/backends/index.js';
import { compileModel } from '../../src/compiler/index.js';
import { createStepCostModel } from '../../src/cost/index.js';
import { dynamicJoules, energyReport, idleJoules, stepEnergy, tokensPerDollar } from '../../src/energy/index.js';
import type { Hardware } from '../../src/backends/index.js';
import { PrecisionSchema, type Model } from '../../src/model/index.js';
import { irWork, workOn } from '../../src/bound/index.js';
import { backendFor } from '../../src/backends/index.js';
import { serve } from '../../src/serving/index.js';
import { shippedHardware, tinyModel } from '../helpers.js';
import { compileTarget } from '../../src/backends/index.js';

/*
 * Energy: idle power over a step's time plus the energy of its work, or of
 * its utilisation where only a maximum power is known; a host's busy power
 * while it computes; a board's TDP as a ceiling; serving runs add the idle
 * power between steps. Expected values are derived here from the model's
 * own definition and from conservation.
 */

const withPrecision = (model: Model, preset: string): Model => ({ ...model, mapping: { ...model.mapping, precision: PrecisionSchema.parse(preset) } });
const tiny = tinyModel();
const tinyFp16 = withPrecision(tiny, 'FP16');
const decode = (sequences: number, context: number) => ({ sequences: Array.from({ length: sequences }, () => ({ newTokens: 1, context })) });

function step(hw: Hardware, model: Model, batch = decode(1, 200)) {
  const { ir } = compileModel(model, { batch, target: compileTarget(hw) });
  const profile = simulate(ir, hw);
  const modules = Object.fromEntries(Object.entries(profile.modules).map(([name, f]) => [name, f.busyMs]));
  return { ir, profile, modules };
}

describe('the energy of a step', () => {
  test('under the work model: idle power over the step, plus bytes and operations at their energies', () => {
    // The U280's power follows its design now (fpga-power.test.ts); here the same board under the work model.
    const hw = shippedHardware('u280', { 'energy.dynamic': { model: 'work', memoryPjPerByte: 100, macPj: { int8: 8 } } });
    const { ir, profile, modules } = step(hw, tiny);
    const dynamic = hw.energy!.dynamic;
    assert.equal(dynamic.model, 'work');
    const backend = backendFor(hw);
    const work = irWork(ir, { target: backend.target(hw), maskBlockTokens: backend.peaks(hw).maskBlockTokens });
    const macs = work.products.reduce((sum, p) => sum + p.macs, 0);
    const expected = (work.weightBytes * dynamic.memoryPjPerByte + work.kvReadBytes * (dynamic.kvCachePjPerByte ?? dynamic.memoryPjPerByte)) * 1e-12 + macs * dynamic.macPj.int8! * 1e-12;
    const dynamicJ = dynamicJoules(workOn(ir, hw), profile, hw);
    assert.ok(Math.abs(dynamicJ - expected) / expected < 1e-12);
    const energy = stepEnergy(hw, { totalMs: profile.totalMs, boundMs: 0, dynamicJ, modules })!;
    assert.ok(Math.abs(energy.joules - (hw.energy!.idleWatts * profile.totalMs * 1e-3 + dynamicJ)) < 1e-12);
    assert.ok(Math.abs(energy.averageWatts - energy.joules / (profile.totalMs * 1e-3)) < 1e-9);
  });

  test('under the utilisation model: idle power plus the span to the maximum in proportion to bound over time', () => {
    // No shipped board uses it any more (its power could fall as load grew): a board given only a maximum power.
    const hw = shippedHardware('k100-ai', { 'energy.dynamic': { model: 'utilization', maxWatts: 300 } });
    const dynamic = hw.energy!.dynamic;
    assert.equal(dynamic.model, 'utilization');
    const totalMs = 20;
    const boundMs = 15;
    const energy = stepEnergy(hw, { totalMs, boundMs, dynamicJ: 0, modules: {} })!;
    const expectedWatts = hw.energy!.idleWatts + (dynamic.maxWatts - hw.energy!.idleWatts) * (boundMs / totalMs);
    assert.ok(Math.abs(energy.averageWatts - expectedWatts) < 1e-9);
    // A step at its bound draws the maximum; one far from it little more than idle.
    assert.ok(Math.abs(stepEnergy(hw, { totalMs, boundMs: totalMs, dynamicJ: 0, modules: {} })!.averageWatts - dynamic.maxWatts) < 1e-9);
    assert.ok(stepEnergy(hw, { totalMs, boundMs: 0.01, dynamicJ: 0, modules: {} })!.averageWatts < hw.energy!.idleWatts + 1);
  });

  test('never averages more than the board’s maximum power', () => {
    const hw = shippedHardware('v100s');
    const maxWatts = hw.energy!.dynamic.maxWatts!;
    const energy = stepEnergy(hw, { totalMs: 1, boundMs: 1, dynamicJ: 10, modules: {} })!;
    assert.ok(Math.abs(energy.averageWatts - maxWatts) < 1e-9);
  });

  test("adds a host's busy power while it computes: the U250's energy grows by (busy − idle) × host time", () => {
    const hw = shippedHardware('u250');
    const { profile, modules } = step(hw, withPrecision(tiny, 'W8A8'));
    const base = { totalMs: profile.totalMs, boundMs: 0, dynamicJ: 0, modules };
    const quiet = shippedHardware('u250', { 'energy.host.busyWatts': hw.energy!.host!.idleWatts });
    const hostMs = modules['HOST']!;
    assert.ok(hostMs > 0);
    const difference = stepEnergy(hw, base)!.joules - stepEnergy(quiet, base)!.joules;
    assert.ok(Math.abs(difference - (hw.energy!.host!.busyWatts - hw.energy!.host!.idleWatts) * hostMs * 1e-3) < 1e-9);
  });

  test('counts PCIe traffic where a kind moves tensors to a host', () => {
    const hw = shippedHardware('u250');
    const { ir, profile } = step(hw, withPrecision(tiny, 'W8A8'));
    assert.ok((profile.interconnectBytes ?? 0) > 0);
    const noLink = shippedHardware('u250', { 'energy.dynamic.interconnectPjPerBit': 0 });
    const difference = dynamicJoules(workOn(ir, hw), profile, hw) - dynamicJoules(workOn(ir, noLink), profile, noLink);
    assert.ok(Math.abs(difference - profile.interconnectBytes! * 8 * 10e-12) < 1e-15);
  });

  test('is absent where the board describes none', () => {
    const hw = shippedHardware('vhk158', { energy: undefined });
    assert.equal(hw.energy, undefined);
    assert.equal(stepEnergy(hw, { totalMs: 1, boundMs: 1, dynamicJ: 0, modules: {} }), undefined);
    assert.equal(idleJoules(hw, 10), undefined);
  });

  test('the fast cost path carries energy that matches the exact step', () => {
    for (const name of ['vhk158', 'a100-80gb-sxm-vllm']) {
      const hw = shippedHardware(name);
      const model = name === 'vhk158' ? tiny : tinyFp16;
      const costs = createStepCostModel({ hardware: hw, model });
      const batch = { sequences: [{ newTokens: 1, context: 300 }, { newTokens: 1, context: 40 }, { newTokens: 1, context: 1000 }] };
      const exact = costs.exact(batch).energy!.joules;
      const fast = costs.fast(batch).energy!.joules;
      assert.ok(Math.abs(fast - exact) / exact < 0.01, `${name}: fast ${fast} J, exact ${exact} J`);
    }
  });
});

describe('energy reports', () => {
  test('tokens per joule and per dollar follow from their definitions', () => {
    const report = energyReport(50, 10, 200);
    assert.equal(report.averageWatts, 5);
    assert.equal(report.tokensPerJoule, 4);
    const hw = shippedHardware('h100-sxm');
    assert.ok(Math.abs(tokensPerDollar(hw, 100)! - (100 * 3600) / hw.price!.dollarsPerHour) < 1e-6);
    assert.equal(tokensPerDollar(shippedHardware('vhk158', { price: undefined }), 100), undefined);
  });

  test("a served run's energy is its steps' energy plus idle power while nothing runs", () => {
    const hw = shippedHardware('a100-80gb-sxm-vllm');
    // Requests arrive far apart: most of the run the board idles.
    const workload = { datasetName: 'random' as const, numPrompts: 6, randomInputLen: 32, randomOutputLen: 8, requestRate: 2, seed: 3 };
    let stepJoules = 0;
    let stepMs = 0;
    const { result } = serve({
      hardware: hw,
      model: tinyFp16,
      workload,
      onStep: (s) => {
        stepJoules += s.cost.energy!.joules;
        stepMs += s.cost.totalMs;
      },
    });
    const durationMs = (result['duration'] as number) * 1000;
    const expected = stepJoules + hw.energy!.idleWatts * (durationMs - stepMs) * 1e-3;
    assert.ok(durationMs > 2 * stepMs, 'the workload leaves the board idle most of the time');
    assert.ok(Math.abs((result['energy_joules'] as number) - expected) / expected < 1e-9);
    assert.ok(Math.abs((result['output_tokens_per_joule'] as number) - (result['total_output_tokens'] as number) / expected) < 1e-9);
    assert.ok((result['mean_power_watts'] as number) >= hw.energy!.idleWatts);
  });
});
