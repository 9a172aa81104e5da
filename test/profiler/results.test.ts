import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseHardware, type Hardware } from '../../src/backends/index.js';
import { profileCases, ResultStore } from '../../src/profiler/index.js';
import { temporaryDirectory, tinyModel, vhk158Hardware } from '../helpers.js';

const model = tinyModel();
const cases = [{ batch: 1, prompt: 100, generated: 40 }];

function editManifest(directory: string, edit: (text: string) => string): void {
  const path = join(directory, '.inputs.json');
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
}

describe('stored results', () => {
  test('a result is reused only under the key it was stored with', () => {
    const directory = temporaryDirectory();
    const store = new ResultStore(directory);
    store.store('m_decode_token_16', 'key-1', { csv: 'inst_type,inst_cnt,part_time,part_time_ratio\nTOTAL,3,1.250000,100\n', totalMs: 1.2500004, boundMs: 0.5 });
    store.flush();
    const again = new ResultStore(directory);
    // The latency comes back at full precision, not as the CSV prints it.
    assert.deepEqual(again.lookup('m_decode_token_16', 'key-1'), { totalMs: 1.2500004, boundMs: 0.5 });
    assert.equal(again.lookup('m_decode_token_16', 'key-2'), undefined);
    assert.equal(new ResultStore(directory, { force: true }).lookup('m_decode_token_16', 'key-1'), undefined);
  });

  const damaged: Array<[string, (directory: string) => void, RegExp]> = [
    ['a latency edited in the record', (directory) => editManifest(directory, (text) => text.replace('1.2500004', '0.2500004')), /do not match their digest/],
    ['a record that is not one', (directory) => editManifest(directory, (text) => text.replace('"totalMs": 1.2500004', '"totalMs": null')), /totalMs/],
    ['a CSV whose total was edited', (directory) => writeFileSync(join(directory, 'm_decode_token_16.csv'), 'inst_type,inst_cnt,part_time,part_time_ratio\nTOTAL,3,9.250000,100\n'), /shows another latency/],
    ['a CSV removed', (directory) => rmSync(join(directory, 'm_decode_token_16.csv')), /is missing/],
  ];
  for (const [name, damage, reason] of damaged) {
    test(`${name}: the result is not reused, and the refusal is reported once`, () => {
      const directory = temporaryDirectory();
      const store = new ResultStore(directory);
      store.store('m_decode_token_16', 'key-1', { csv: 'inst_type,inst_cnt,part_time,part_time_ratio\nTOTAL,3,1.250000,100\n', totalMs: 1.2500004, boundMs: 0.5 });
      store.flush();
      damage(directory);
      const reasons: string[] = [];
      const again = new ResultStore(directory, { onRejected: (rejection) => reasons.push(rejection.reason) });
      assert.equal(again.lookup('m_decode_token_16', 'key-1'), undefined);
      again.flush();
      assert.equal(new ResultStore(directory, { onRejected: (rejection) => reasons.push(rejection.reason) }).lookup('m_decode_token_16', 'key-1'), undefined);
      assert.equal(reasons.length, 1, reasons.join('; '));
      assert.match(reasons[0]!, reason);
    });
  }

  test('a CSV present without a matching record is not trusted', () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'm_decode_token_16.csv'), 'inst_type,inst_cnt,part_time,part_time_ratio\nTOTAL,3,1.250000,100\n');
    assert.equal(new ResultStore(directory).lookup('m_decode_token_16', 'anything'), undefined);
  });

  test('an unchanged profile is all reused; a changed hardware file recomputes everything', async () => {
    const directory = temporaryDirectory();
    const run = (hardware: Hardware = vhk158Hardware()) => profileCases({ hardware, cases, source: { kind: 'model', model }, results: new ResultStore(directory), threads: 1 });
    const first = await run();
    // Prefill 128, decode contexts 112, 128, 144.
    assert.deepEqual([first.simulated, first.reused], [4, 0]);
    const second = await run();
    assert.deepEqual([second.simulated, second.reused], [0, 4]);
    assert.deepEqual(second.cases, first.cases);
    assert.ok(readFileSync(join(directory, 'tiny_decode_token_144.csv'), 'utf8').startsWith('inst_type,inst_cnt'));
    const faster = parseHardware({ ...vhk158Hardware(), clock: { frequencyMHz: 300 } });
    const third = await run(faster);
    assert.deepEqual([third.simulated, third.reused], [4, 0]);
    assert.ok(third.cases[0]!.device.totalMs < first.cases[0]!.device.totalMs);
  });
});
