import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MEASUREMENT_COLUMNS } from '../../src/validate/index.js';
import { ROOT, runMain, temporaryDirectory } from '../helpers.js';

/*
 * `fpga-llm-sim validate` through the CLI: gpt-fast's six LLaMA-2-7B rows
 * (BF16, INT8 and INT4 on one card, BF16 on 2, 4 and 8; batch 1, fast to simulate), the parity figure, the baseline check, and a
 * bad measurement file.
 */

const work = temporaryDirectory();
const measurements = join(ROOT, 'validation', 'measurements.csv');
const args = ['validate', '--measurements', measurements, '--filter', 'gptfast-a100-l2-7b'];

describe('fpga-llm-sim validate', () => {
  test('prints each point with its error, the summaries and the fit rules, and draws the parity figure', async () => {
    const figure = join(work, 'parity.svg');
    const result = await runMain([...args, '--figure', figure]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /gptfast-a100-l2-7b-bf16-tp1-b1 .*a100-80gb-sxm .*gpt-fast .*104\.9/);
    assert.match(result.stdout, /GPU points, held out/);
    assert.match(result.stdout, /Fitted rows \(all others are held out\)/);
    assert.match(readFileSync(figure, 'utf8'), /^<svg/);
  });

  test('--json gives every point and the summary as data', async () => {
    const result = await runMain([...args, '--json']);
    const report = JSON.parse(result.stdout) as { points: Array<{ id: string; measured: number; simulated: number; error: number }>; summary: { gpu: { points: number } } };
    assert.equal(report.points.length, 6);
    assert.equal(report.summary.gpu.points, 6);
    for (const p of report.points) assert.ok(Math.abs(p.error - (p.simulated - p.measured) / p.measured) < 1e-12);
  });

  test('fails (exit 1) when the median error is above the recorded baseline, and passes at it', async () => {
    const recorded = join(work, 'baseline.json');
    assert.equal((await runMain([...args, '--record-baseline', recorded])).code, 0);
    assert.equal((await runMain([...args, '--baseline', recorded])).code, 0);
    const strict = join(work, 'strict.json');
    writeFileSync(strict, JSON.stringify({ ...JSON.parse(readFileSync(recorded, 'utf8')), medianAbsError: 0, points: 99 }));
    const worse = await runMain([...args, '--baseline', strict]);
    assert.equal(worse.code, 1);
    assert.match(worse.stdout, /worse than the baseline: the median error over the GPU points rose/);
    assert.match(worse.stdout, /fewer than the 99 recorded/);
  });

  test('a bad measurement file is refused with exit 2, naming the file, line and column', async () => {
    const bad = join(work, 'bad.csv');
    writeFileSync(bad, `${MEASUREMENT_COLUMNS.join(',')}\nx,g,h100-sxm,one,llama2-7b,FP16,vllm,0.5,1,128,128,,e2e_latency_s,1,s,src,cell,\n`);
    const result = await runMain(['validate', '--measurements', bad]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad\.csv: invalid measurements: line 2, column cards/);
  });
});
