import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseHardware, type Hardware } from '../../src/backends/index.js';
import { profileCases, ResultStore } from '../../src/profiler/index.js';
import { ContentCache } from '../../src/util/cache.js';
import { temporaryDirectory, tinyModel, vhk158Hardware } from '../helpers.js';

const model = tinyModel();
const cases = [{ batch: 1, prompt: 100, generated: 40 }];
const CSV = 'inst_type,inst_cnt,part_time,part_time_ratio\nTOTAL,3,1.250000,100\n';

describe('stored results', () => {
  test('a result is reused only under the key it was stored with, at full precision', () => {
    const cache = new ContentCache(temporaryDirectory());
    new ResultStore({ cache }).store('m_decode_token_16', 'key-1', { csv: CSV, totalMs: 1.2500004, boundMs: 0.5 });
    const again = new ResultStore({ cache });
    // The latency comes back at full precision, not as the CSV prints it.
    assert.deepEqual(again.lookup('m_decode_token_16', 'key-1'), { totalMs: 1.2500004, boundMs: 0.5 });
    assert.equal(again.lookup('m_decode_token_16', 'key-2'), undefined);
    assert.equal(new ResultStore({ cache, force: true }).lookup('m_decode_token_16', 'key-1'), undefined);
  });

  test('CSVs go to the directory asked for, a reused one too, and nowhere without one', () => {
    const cache = new ContentCache(temporaryDirectory());
    const first = temporaryDirectory();
    new ResultStore({ cache, csvDirectory: first }).store('m_decode_token_16', 'key-1', { csv: CSV, totalMs: 1.25, boundMs: 0.5 });
    assert.equal(readFileSync(join(first, 'm_decode_token_16.csv'), 'utf8'), CSV);
    const second = temporaryDirectory();
    new ResultStore({ cache, csvDirectory: second }).lookup('m_decode_token_16', 'key-1');
    assert.equal(readFileSync(join(second, 'm_decode_token_16.csv'), 'utf8'), CSV);
    assert.equal(new ResultStore({ cache }).csvPath('m_decode_token_16'), undefined);
  });

  test('an unchanged profile is all reused; another board computes its own; switching back recomputes nothing', async () => {
    const cache = new ContentCache(temporaryDirectory());
    const csvDirectory = temporaryDirectory();
    const run = (hardware: Hardware = vhk158Hardware()) => profileCases({ hardware, cases, source: { kind: 'model', model }, results: new ResultStore({ cache, csvDirectory }), threads: 1 });
    const first = await run();
    // Prefill 128, decode contexts 112, 128, 144.
    assert.deepEqual([first.simulated, first.reused], [4, 0]);
    const second = await run();
    assert.deepEqual([second.simulated, second.reused], [0, 4]);
    assert.deepEqual(second.cases, first.cases);
    assert.ok(readFileSync(join(csvDirectory, 'tiny_decode_token_144.csv'), 'utf8').startsWith('inst_type,inst_cnt'));
    const faster = parseHardware({ ...vhk158Hardware(), clock: { frequencyMHz: 300 } });
    const third = await run(faster);
    assert.deepEqual([third.simulated, third.reused], [4, 0]);
    assert.ok(third.cases[0]!.device.totalMs < first.cases[0]!.device.totalMs);
    const back = await run();
    assert.deepEqual([back.simulated, back.reused], [0, 4]);
    assert.deepEqual(back.cases, first.cases);
  });

  test('without a cache nothing is kept', async () => {
    const run = () => profileCases({ hardware: vhk158Hardware(), cases, source: { kind: 'model', model }, results: new ResultStore({}), threads: 1 });
    await run();
    assert.deepEqual([(await run()).reused], [0]);
    assert.equal(existsSync(join(process.cwd(), 'compiler_output', 'profiler_output', 'tiny_decode_token_144.csv')), false);
  });
});
