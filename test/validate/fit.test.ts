import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fitStack, MEASUREMENT_COLUMNS, validate } from '../../src/validate/index.js';
import { ROOT, temporaryDirectory } from '../helpers.js';

/*
 * Fitting a stack recomputes one card's kernels. A fitted row that ran on a
 * tensor-parallel group is fitted as one card's share with the group's
 * collectives beside it, and before any value moves it predicts what
 * `validate` simulates; a row run in pipeline stages (whose schedule the
 * fit does not replay) is left out and named, never fitted as if it ran on
 * one card.
 */

const FITTED = ['argonne-h100-tens-l2-7b-tp1-b1-1024-1024-e2e', 'argonne-h100-tens-l2-7b-tp1-b16-1024-1024-e2e'];

/** The two published rows, and the first again as if it had run on two cards in the layout given (the Argonne rule fits it too). */
function fixture(layout: 'TP=2' | 'TP=1, PP=2'): { file: string; twoCards: string } {
  const lines = readFileSync(join(ROOT, 'validation', 'measurements.csv'), 'utf8').split('\n');
  const rows = FITTED.map((id) => lines.find((line) => line.startsWith(`${id},`))!);
  const twoCards = FITTED[0]!.replace('-tp1-', layout === 'TP=2' ? '-tp2-' : '-pp2-');
  const doubled = rows[0]!.replace(`${FITTED[0]},argonne,h100-sxm,1,`, `${twoCards},argonne,h100-sxm,2,`).replace(/"$/, `; ${layout}"`);
  assert.notEqual(doubled, rows[0], 'the fixture row names two cards');
  assert.ok(doubled.endsWith(`; ${layout}"`), 'the fixture row states its layout');
  const file = join(temporaryDirectory(), 'fit.csv');
  writeFileSync(file, `${[MEASUREMENT_COLUMNS.join(','), ...rows, doubled].join('\n')}\n`);
  return { file, twoCards };
}

describe('fitStack', () => {
  test("fits a tensor-parallel row as one card's share with its collectives, predicting before the fit what validate simulates", () => {
    const { file, twoCards } = fixture('TP=2');
    const fit = fitStack({ files: [file], stack: 'tensorrt-llm', keys: ['stack.stepUs'] });
    assert.deepEqual(fit.leftOut, []);
    assert.deepEqual(fit.ids, [...FITTED, twoCards]);
    const simulated = validate({ files: [file] }).points.find((p) => p.case.row.id === twoCards)!.simulated * 1000;
    const before = fit.calibration.observations.find((o) => o.label === twoCards)!.beforeMs;
    // Merging alike steps at their mean contexts is exact for costs affine in the context; 1 % allows rounding of the means.
    assert.ok(Math.abs(before - simulated) / simulated < 0.01, `the fit starts at ${before} ms, validate simulates ${simulated} ms`);
    assert.ok(fit.calibration.rmsAfter <= fit.calibration.rmsBefore + 1e-12, `least squares never ends worse than it starts (${fit.calibration.rmsBefore} → ${fit.calibration.rmsAfter})`);
  });

  test('leaves out fitted rows run in pipeline stages and names them', () => {
    const { file, twoCards } = fixture('TP=1, PP=2');
    const fit = fitStack({ files: [file], stack: 'tensorrt-llm', keys: ['stack.stepUs'] });
    assert.deepEqual(fit.leftOut, [twoCards]);
    assert.deepEqual(fit.ids, FITTED);
    assert.deepEqual(fit.calibration.observations.map((o) => o.label), FITTED);
  });
});
