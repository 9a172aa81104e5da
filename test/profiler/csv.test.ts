import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MODULES } from '../../src/backends/flightllm/isa/index.js';
import { parseProfileCsv, profileToCsv } from '../../src/profiler/csv.js';
import { type Profile } from '../../src/backends/profile.js';
import { formatFixed } from '../../src/util/format.js';

function profile(figures: Partial<Record<(typeof MODULES)[number], [number, number]>>, totalMs: number): Profile {
  const modules = Object.fromEntries(MODULES.map((name) => [name, { count: figures[name]?.[0] ?? 0, busyMs: figures[name]?.[1] ?? 0 }])) as Profile['modules'];
  const instructionCount = Object.values(modules).reduce((sum, m) => sum + m.count, 0);
  return { totalMs, instructionCount, moduleNames: MODULES, modules, steps: [] };
}

describe('profiler CSV', () => {
  test('rows come in ISA order, idle modules print 0,0, and TOTAL closes with 100', () => {
    const csv = profileToCsv(profile({ LD: [3, 1.5], MV: [2, 2], SYS: [1, 0.25] }, 4));
    assert.equal(csv, ['inst_type,inst_cnt,part_time,part_time_ratio', 'LD,3,1.500000,37.500000', 'ST,0,0,0', 'MM,0,0,0', 'MV,2,2.000000,50.000000', 'MISC,0,0,0', 'SYS,1,0.250000,6.250000', 'TOTAL,6,4.000000,100', ''].join('\n'));
  });

  test('parsing reads back the rows it was given', () => {
    const rows = parseProfileCsv(profileToCsv(profile({ LD: [3, 1.5] }, 2)));
    assert.ok(Array.isArray(rows));
    assert.deepEqual(rows[0], { type: 'LD', count: 3, timeMs: 1.5, ratioPercent: 75 });
    assert.equal(rows.at(-1)?.type, 'TOTAL');
  });

  test('a CSV without the header, or with a short row, is refused with the line', () => {
    assert.match(String(parseProfileCsv('LD,1,2,3\n')), /line 1: expected the header/);
    assert.match(String(parseProfileCsv('inst_type,inst_cnt,part_time,part_time_ratio\nLD,1,2\n')), /line 2: expected "type,count,time,ratio"/);
  });
});

describe('fixed-point formatting', () => {
  test('rounds like printf: to nearest, exact halves to even', () => {
    // 1/128 = 0.0078125 exactly: ×10⁶ = 7812.5, a tie, rounded to the even 7812.
    assert.equal(formatFixed(1 / 128), '0.007812');
    // 3/128 = 0.0234375: 23437.5, a tie, rounded to the even 23438.
    assert.equal(formatFixed(3 / 128), '0.023438');
    assert.equal(formatFixed(289.882369), '289.882369');
    assert.equal(formatFixed(0), '0.000000');
    assert.equal(formatFixed(2.5, 0), '2');
    assert.equal(formatFixed(3.5, 0), '4');
  });

  test('values that are not exact ties round to nearest', () => {
    // 0.1 is slightly above 1/10, so 0.1 × 10⁶ is not a tie.
    assert.equal(formatFixed(0.0000005000000000001), '0.000001');
    assert.equal(formatFixed(1.2345675), (1.2345675).toFixed(6));
  });
});
