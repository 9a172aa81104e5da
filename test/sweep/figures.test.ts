import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { renderSvg } from '../../src/profiler/index.js';
import { bestRow, dominates, heatmapSlice, heatmapSpec, paretoFront, paretoSpec, parseSweepSpec, sweepPoints, sweepTable, DOMINATED, FRONT, type SweepRow, type SweepTable } from '../../src/sweep/index.js';

/** Aria labels of the marks of one kind in a rendered spec (the SVG parsed, failing on malformed XML). */
async function marks(spec: Record<string, unknown>, kind: string): Promise<string[]> {
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(await renderSvg(spec), true);
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === 'object' && node !== null) {
      const element = node as Record<string, unknown>;
      if (element['aria-roledescription'] === kind) found.push(String(element['aria-label']));
      Object.values(element).forEach(visit);
    }
  };
  visit(parsed);
  return found;
}

/**
 * A table over a spec's points with the objective values given per point
 * (undefined: the point failed), built without simulating anything.
 */
function table(raw: Record<string, unknown>, values: ReadonlyArray<readonly [number, number] | undefined>): SweepTable {
  const spec = parseSweepSpec({ name: 'synthetic', objectives: ['decodeTokensPerSecond', 'prefillMs'], ...raw });
  const rows = sweepPoints(spec).map((point, at): SweepRow => {
    const pair = values[at];
    return {
      point: point.index,
      key: `key-${at}`,
      columns: point.columns,
      status: pair === undefined ? 'failed' : 'ok',
      fits: null,
      metrics: { decodeTokensPerSecond: pair?.[0] ?? null, prefillMs: pair?.[1] ?? null },
      error: pair === undefined ? 'refused' : '',
    };
  });
  return sweepTable({ spec, shard: undefined, totalPoints: rows.length, rows, ran: rows.length, reused: 0 });
}

// Decode token/s (more is better) and prefill ms (less is better). Points 0, 1 and 2 are each best in
// some trade-off; 3 is beaten by 0 on both, 4 ties 1 on token/s and is slower, 5 ties 2 on prefill
// and decodes slower, 6 failed. The front is 0, 1, 2 by construction.
const PAIRS = [[100, 50], [120, 60], [90, 40], [95, 55], [120, 70], [80, 40], undefined] as const;
const synthetic = table({ axes: { set: { k: [0, 1, 2, 3, 4, 5, 6] } } }, PAIRS);
const OBJECTIVES = [
  { name: 'decodeTokensPerSecond', direction: 'max' },
  { name: 'prefillMs', direction: 'min' },
] as const;

describe('Pareto front', () => {
  test('the front is the points no other point beats on both objectives', () => {
    assert.deepEqual(
      paretoFront(synthetic.rows, OBJECTIVES).map((row) => row['point']),
      [0, 1, 2],
    );
    const [r0, r1, r2, r3, r4, r5] = synthetic.rows;
    assert.ok(dominates(r0!, r3!, OBJECTIVES) && dominates(r1!, r4!, OBJECTIVES) && dominates(r2!, r5!, OBJECTIVES));
    assert.ok(!dominates(r0!, r1!, OBJECTIVES) && !dominates(r1!, r0!, OBJECTIVES));
  });

  test('a point whose design does not fit its device is no candidate: without point 0 the front is 1, 2 and 3, which 0 dominated', () => {
    const rows = synthetic.rows.map((row) => (row['point'] === 0 ? { ...row, fits: false } : row));
    assert.deepEqual(
      paretoFront(rows, OBJECTIVES).map((row) => row['point']),
      [1, 2, 3],
    );
    const noneFit = synthetic.rows.map((row) => ({ ...row, fits: false }));
    assert.equal(bestRow(noneFit, OBJECTIVES[0]), undefined);
  });

  test('the best point by one objective; a failed point is never ranked', () => {
    assert.equal(bestRow(synthetic.rows, OBJECTIVES[0])?.['point'], 1);
    assert.equal(bestRow(synthetic.rows, OBJECTIVES[1])?.['point'], 2);
    assert.equal(bestRow(table({ axes: { set: { k: [0] } } }, [undefined]).rows, OBJECTIVES[0]), undefined);
  });

  test('the figure: one point per ranked row, the front highlighted and joined', async () => {
    const points = await marks(paretoSpec(synthetic), 'point');
    assert.equal(points.length, 6);
    const front = points.filter((label) => label.includes(FRONT));
    assert.equal(front.length, 3);
    assert.equal(points.filter((label) => label.includes(DOMINATED)).length, 3);
    assert.ok(front.some((label) => /point: 1\b/.test(label) && /120/.test(label) && /60/.test(label)), front.join(' | '));
    assert.equal((await marks(paretoSpec(synthetic), 'line mark')).length, 1);
  });
});

describe('heat map', () => {
  // Two axes sliced at the best point's value of a third: c = 'y' holds the best token/s (point 11).
  const grid = table(
    { axes: { set: { a: [1, 2], b: [10, 20, 30], c: ['x', 'y'] } } },
    Array.from({ length: 12 }, (_, at): readonly [number, number] | undefined => (at === 3 ? undefined : [at, 100 - at])),
  );

  test('the slice holds the other axes at the best point', () => {
    const { rows, where } = heatmapSlice(grid, { x: 'a', y: 'b' });
    assert.equal(where['c'], 'y');
    assert.deepEqual(
      rows.map((row) => row['point']),
      [1, 3, 5, 7, 9, 11],
    );
    assert.deepEqual(
      heatmapSlice(grid, { x: 'a', y: 'b', where: { c: 'x' } }).rows.map((row) => row['point']),
      [0, 2, 4, 6, 8, 10],
    );
  });

  test('one cell per point of the slice with a value, at its two axis values', async () => {
    const cells = await marks(heatmapSpec(grid, { x: 'a', y: 'b' }), 'rect mark');
    assert.equal(cells.length, 5, 'point 3 failed and leaves its cell empty');
    assert.ok(cells.some((label) => /point: 11\b/.test(label) && /a: 2\b/.test(label) && /b: 30\b/.test(label)), cells.join(' | '));
    assert.ok(!cells.some((label) => /point: 3\b/.test(label)));
  });

  test('cell text is black on the bright end of the scale and white on the dark, with the same decimals everywhere', async () => {
    const svg = await renderSvg(heatmapSpec(grid, { x: 'a', y: 'b', value: 'decodeTokensPerSecond' }));
    // The slice's decode token/s: points 1, 5, 7, 9, 11 (3 failed); 11 is the brightest cell, 1 the darkest.
    const texts = [...svg.matchAll(/<text [^>]*fill="(black|white)"[^>]*>([\d.,]+)<\/text>/g)].map((m) => ({ ink: m[1]!, text: m[2]! }));
    const ink = (text: string) => texts.find((t) => t.text === text)?.ink;
    assert.equal(ink('11.00'), 'black', JSON.stringify(texts));
    assert.equal(ink('1.00'), 'white', JSON.stringify(texts));
    // Four significant digits of the largest, 11: two decimals on every cell.
    assert.ok(texts.length === 5 && texts.every((t) => /^\d+\.\d\d$/.test(t.text)), JSON.stringify(texts));
  });

  test('axis titles are words with units, not keys', async () => {
    const spec = heatmapSpec(table({ axes: { set: { 'hbm.bandwidthGiBps': [400, 800], 'clock.frequencyMHz': [150, 225] } } }, [[1, 2], [3, 4], [5, 6], [7, 8]]), { x: 'hbm.bandwidthGiBps', y: 'clock.frequencyMHz' });
    const svg = await renderSvg(spec);
    assert.match(svg, />HBM bandwidth \(GiB\/s\)</);
    assert.match(svg, />Clock frequency \(MHz\)</);
    assert.doesNotMatch(svg, />hbm\.bandwidthGiBps</);
  });
});
