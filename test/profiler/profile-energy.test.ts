import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { simulate } from '../../src/backends/index.js';
import { compileModel, generatedMasks } from '../../src/compiler/index.js';
import { dynamicJoules, stepEnergy } from '../../src/energy/index.js';
import { physicalBound, workOn } from '../../src/bound/index.js';
import { runMain, shippedHardware, temporaryDirectory, tinyModel, tinyModelFile } from '../helpers.js';
import { compileTarget } from '../../src/backends/index.js';

/*
 * profile reports energy: per case in --json, and as rows of the table,
 * the sum over the case's prefill and decode steps.
 */

const work = temporaryDirectory();
const tiny = tinyModelFile(work);

describe('profile energy', () => {
  test("a case's joules are its prefill's and its decode steps' joules added up", async () => {
    const result = await runMain(['profile', '--hardware', 'u280', '--model', tiny, '--cases', '1x16x2', '--json', '--out-dir', join(work, 'json'), '--jobs', '1']);
    assert.equal(result.code, 0, result.stderr);
    const c = (JSON.parse(result.stdout) as { cases: Array<{ fpga: { totalMs: number }; energy: { joules: number; averageWatts: number; tokensPerJoule: number; joulesPerRequest: number; tokensPerDollar: number } }> }).cases[0]!;
    // The U280 pads prompts to 128 tokens and decodes to multiples of 16: a 16-token prompt, then decodes at 17 and 18 tokens, both padded to 32.
    const hw = shippedHardware('u280');
    const model = tinyModel();
    const masks = generatedMasks(model, compileTarget(hw));
    const joulesOf = (stage: 'prefill' | 'decode', tokens: number) => {
      const { ir } = compileModel(model, { stage, tokens, target: compileTarget(hw) });
      const profile = simulate(ir, hw, { masks });
      const modules = Object.fromEntries(Object.entries(profile.modules).map(([name, f]) => [name, f.busyMs]));
      return stepEnergy(hw, { totalMs: profile.totalMs, boundMs: physicalBound(ir, hw, { masks }).boundMs, dynamicJ: dynamicJoules(workOn(ir, hw, { masks }), profile, hw), modules })!.joules;
    };
    const expected = joulesOf('prefill', 128) + 2 * joulesOf('decode', 32);
    assert.ok(Math.abs(c.energy.joules - expected) / expected < 1e-12, `${c.energy.joules} J against ${expected} J`);
    assert.ok(Math.abs(c.energy.tokensPerJoule * c.energy.joules - 2) < 1e-12);
    assert.ok(Math.abs(c.energy.averageWatts - c.energy.joules / (c.fpga.totalMs / 1000)) < 1e-9);
    assert.equal(c.energy.joulesPerRequest, c.energy.joules);
    assert.ok(Math.abs(c.energy.tokensPerDollar - (2 / (c.fpga.totalMs / 1000)) * 3600 / hw.price!.dollarsPerHour) < 1e-6);
  });

  test('the table has energy rows where the board describes energy, none with --no-energy', async () => {
    const withRows = await runMain(['profile', '--hardware', 'u280', '--model', tiny, '--cases', '1x16x2', '--out-dir', join(work, 'table'), '--jobs', '1']);
    assert.equal(withRows.code, 0, withRows.stderr);
    assert.match(withRows.stdout, /\| Energy \(J\) +\|/);
    assert.match(withRows.stdout, /\| Efficiency \(token\/J\) +\|/);
    const without = await runMain(['profile', '--hardware', 'u280', '--model', tiny, '--cases', '1x16x2', '--out-dir', join(work, 'table'), '--jobs', '1', '--no-energy']);
    assert.doesNotMatch(without.stdout, /Energy/);
  });
});
