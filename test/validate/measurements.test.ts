import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { loadMeasurements, MEASUREMENT_COLUMNS } from '../../src/validate/index.js';
import { ROOT, temporaryDirectory, thrown } from '../helpers.js';

/*
 * The published measurements load as rows of their one schema, and a bad
 * file is refused once, naming the file, the line and the column.
 */

const HEADER = MEASUREMENT_COLUMNS.join(',');
const ROW = 'r1,argonne,h100-sxm,1,llama2-7b,FP16,vllm,0.5,1,128,128,,e2e_latency_s,0.93,s,repo:file,line 1,notes';

function csv(lines: readonly string[]): string {
  const path = join(temporaryDirectory(), 'm.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('the measurement files', () => {
  test('every shipped row loads, with the count validation/SOURCES.md states', () => {
    const rows = loadMeasurements(join(ROOT, 'validation', 'measurements.csv'));
    assert.equal(rows.length, 728);
    assert.equal(rows.filter((r) => r.hardware.startsWith('u280') || r.hardware.startsWith('vhk158')).length, 728 - 709);
    assert.equal(loadMeasurements(join(ROOT, 'validation', 'multicard-moe.csv')).length, 124);
  });

  test('empty fields are unknown, not zero; numbers are numbers', () => {
    const [row] = loadMeasurements(csv([HEADER, ROW]));
    assert.equal(row!.concurrency, undefined);
    assert.equal(row!.batch, 1);
    assert.equal(row!.value, 0.93);
    assert.equal(row!.line, 2);
  });

  test('a bad field is refused naming its line and column, every one at once', () => {
    const error = thrown(UserError, () => loadMeasurements(csv([HEADER, ROW, ROW.replace('r1,', 'r2,').replace(',0.93,', ',-1,'), ROW.replace('r1,', 'r3,').replace(',1,128,', ',two,128,')])));
    assert.match(error.message, /m\.csv: invalid measurements: line 3, column value: .*; line 4, column batch/);
  });

  test('an id used twice is refused naming both lines', () => {
    assert.match(thrown(UserError, () => loadMeasurements(csv([HEADER, ROW, ROW]))).message, /line 3, column id: "r1" is already the id of line 2/);
  });

  test('a missing column is refused with the columns expected', () => {
    assert.match(thrown(UserError, () => loadMeasurements(csv([HEADER.replace(',notes', ''), ROW.replace(',notes', '')]))).message, /line 1: expected the columns id, group, .*; missing notes/);
  });
});
