import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fitStack, MEASUREMENT_COLUMNS } from '../../src/validate/index.js';
import { ROOT, temporaryDirectory } from '../helpers.js';

/*
 * Fitting a stack recomputes one card's kernels: a fitted row that ran on
 * several cards (whose collectives the fit does not cost) is left out and
 * named, never fitted as if it ran on one.
 */

const FITTED = ['argonne-h100-tens-l2-7b-tp1-b1-1024-1024-e2e', 'argonne-h100-tens-l2-7b-tp1-b16-1024-1024-e2e'];

/** The two published rows, and the first again as if it had run on two cards (the Argonne rule fits it too). */
function fixture(): { file: string; twoCards: string } {
  const lines = readFileSync(join(ROOT, 'validation', 'measurements.csv'), 'utf8').split('\n');
  const rows = FITTED.map((id) => lines.find((line) => line.startsWith(`${id},`))!);
  const twoCards = FITTED[0]!.replace('-tp1-', '-tp2-');
  const doubled = rows[0]!.replace(`${FITTED[0]},argonne,h100-sxm,1,`, `${twoCards},argonne,h100-sxm,2,`);
  assert.notEqual(doubled, rows[0], 'the fixture row names two cards');
  const file = join(temporaryDirectory(), 'fit.csv');
  writeFileSync(file, `${[MEASUREMENT_COLUMNS.join(','), ...rows, doubled].join('\n')}\n`);
  return { file, twoCards };
}

describe('fitStack', () => {
  test('leaves out fitted rows that ran on several cards and names them', () => {
    const { file, twoCards } = fixture();
    const fit = fitStack({ files: [file], stack: 'tensorrt-llm', keys: ['stack.stepUs'] });
    assert.deepEqual(fit.leftOut, [twoCards]);
    assert.deepEqual(fit.ids, FITTED);
    assert.deepEqual(fit.calibration.observations.map((o) => o.label), FITTED);
    assert.ok(fit.calibration.rmsAfter <= fit.calibration.rmsBefore + 1e-12, `least squares never ends worse than it starts (${fit.calibration.rmsBefore} → ${fit.calibration.rmsAfter})`);
  });
});
