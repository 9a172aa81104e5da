import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { baselineOf, compareWithBaseline, errorSummary, summarise, type ValidationPoint } from '../../src/validate/index.js';

/*
 * The median and worst absolute error, by their definitions, on points
 * whose errors are chosen here.
 */

function point(id: string, error: number, options: { group?: string; board?: string; fit?: boolean } = {}): ValidationPoint {
  const row = { id, group: options.group ?? 'g', value: 100 } as ValidationPoint['case']['row'];
  return { case: { row, board: options.board ?? 'h100-sxm', fit: options.fit ?? false } as ValidationPoint['case'], measured: 100, simulated: 100 * (1 + error), error, beyondBound: false };
}

describe('error summaries', () => {
  test('the median of absolute errors (the middle one, or the mean of the two middle ones) and the worst, named', () => {
    const odd = errorSummary([point('a', 0.1), point('b', -0.3), point('c', 0.2)]);
    assert.deepEqual({ ...odd, medianAbsError: Number(odd.medianAbsError.toFixed(12)) }, { points: 3, medianAbsError: 0.2, worstAbsError: 0.3, worstId: 'b' });
    assert.ok(Math.abs(errorSummary([point('a', 0.1), point('b', -0.3), point('c', 0.2), point('d', 0.05)]).medianAbsError - 0.15) < 1e-12);
    assert.deepEqual(errorSummary([]), { points: 0, medianAbsError: 0, worstAbsError: 0, worstId: undefined });
  });

  test('GPU points are summarised apart from FPGA ones, fitted apart from held out, and per group', () => {
    const points = [point('a', 0.1, { fit: true, group: 'x' }), point('b', 0.3, { group: 'y' }), point('c', 0.5, { board: 'u280', group: 'y' })];
    const s = summarise(points, (board) => board !== 'u280');
    assert.equal(s.gpu.points, 2);
    assert.equal(s.all.points, 3);
    assert.equal(s.gpuFit.worstId, 'a');
    assert.equal(s.gpuHeldOut.worstId, 'b');
    assert.deepEqual(s.gpuBoards, ['h100-sxm']);
    assert.deepEqual(s.byGroup.map((g) => [g.group, g.points]), [['x', 1], ['y', 2]]);
  });
});

describe('the recorded baseline', () => {
  test('a median above the recorded one, or fewer points, is worse; the same run is not', () => {
    const current = errorSummary([point('a', 0.1), point('b', 0.2), point('c', 0.3)]);
    const recorded = baselineOf(current, 'npm run validate');
    assert.deepEqual(compareWithBaseline(current, recorded), []);
    assert.match(compareWithBaseline(current, { ...recorded, medianAbsError: 0.15 })[0]!, /median error over the GPU points rose from 15\.00 % to 20\.00 %/);
    assert.match(compareWithBaseline(current, { ...recorded, points: 4 })[0]!, /3 GPU points were simulated, fewer than the 4 recorded/);
  });
});
