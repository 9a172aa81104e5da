import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compareCaseNames, compareProfileCsv, findReferenceCases } from '../../src/profiler/index.js';
import { temporaryDirectory } from '../helpers.js';

const header = 'inst_type,inst_cnt,part_time,part_time_ratio';
const csv = (ld: string, total: string) => [header, `LD,10,${ld},50`, 'ST,0,0,0', 'MM,0,0,0', 'MV,0,0,0', 'MISC,0,0,0', 'SYS,1,0.000001,0', `TOTAL,11,${total},100`, ''].join('\n');

describe('comparing profiler CSVs', () => {
  test('identical CSVs match byte for byte', () => {
    const result = compareProfileCsv(csv('1.000000', '2.000000'), csv('1.000000', '2.000000'));
    assert.equal(result.match, true);
    assert.equal(result.identical, true);
  });

  test('a time off by more than the tolerance is a mismatch naming the row', () => {
    const result = compareProfileCsv(csv('1.000010', '2.000000'), csv('1.000000', '2.000000'));
    assert.equal(result.match, false);
    assert.deepEqual(result.mismatches, ['LD: 1.00001 ms, reference 1 ms']);
  });

  test('a difference below the printed precision of a tiny time is accepted', () => {
    const ours = csv('1.000000', '2.000000').replace('SYS,1,0.000001', 'SYS,1,0.000002');
    assert.equal(compareProfileCsv(ours, csv('1.000000', '2.000000')).match, true);
  });

  test('a different instruction count is a mismatch', () => {
    const ours = csv('1.000000', '2.000000').replace('LD,10,', 'LD,11,');
    assert.deepEqual(compareProfileCsv(ours, csv('1.000000', '2.000000')).mismatches, ['LD: 11 instructions, reference 10']);
  });
});

describe('reference cases', () => {
  test('only IR files with a CSV are cases, ordered by stage then token count', () => {
    const root = temporaryDirectory();
    mkdirSync(join(root, 'ir_output'));
    mkdirSync(join(root, 'profiler_output'));
    for (const name of ['m_decode_token_1024', 'm_decode_token_144', 'm_prefill_token_128', 'm_decode_token_160']) writeFileSync(join(root, 'ir_output', `${name}.yaml`), '[]');
    for (const name of ['m_decode_token_1024', 'm_decode_token_144', 'm_prefill_token_128', 'm_decode_token_16']) writeFileSync(join(root, 'profiler_output', `${name}.csv`), '');
    assert.deepEqual(findReferenceCases(root).map((c) => c.name), ['m_decode_token_144', 'm_decode_token_1024', 'm_prefill_token_128']);
  });

  test('a directory without FlightLLM output has no cases', () => {
    assert.deepEqual(findReferenceCases(temporaryDirectory()), []);
  });

  test('case names order numerically within a stem', () => {
    assert.ok(compareCaseNames('x_16', 'x_144') < 0);
    assert.ok(compareCaseNames('a_decode_1', 'a_prefill_1') < 0);
  });
});
