import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dump } from 'js-yaml';
import { parseIr } from '../../src/ir/index.js';
import { simulateIr } from '../../src/backends/flightllm/engine/index.js';
import { profileToCsv } from '../../src/profiler/csv.js';
import { NO_REFERENCE, REFERENCE_DIR, runMain, temporaryDirectory, tinyDecodeIr, tinyModelFile, VHK158, vhk158Hardware } from '../helpers.js';

const work = temporaryDirectory();
const small = join(work, 'small.yaml');
const wide = join(work, 'wide.yaml');
writeFileSync(small, dump(tinyDecodeIr()));
writeFileSync(wide, dump(tinyDecodeIr({ hidden: 2048, ffn: 4096 })));
const expected = (ir: ReturnType<typeof tinyDecodeIr>) => profileToCsv(simulateIr(parseIr(ir), vhk158Hardware()));

describe('fpga-llm-sim simulate', () => {
  test('one IR file prints its CSV on stdout', async () => {
    const result = await runMain(['simulate', '--hardware', VHK158, '--ir', small]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, expected(tinyDecodeIr()));
  });

  test('--csv writes the CSV to a file instead', async () => {
    const out = join(work, 'small.csv');
    const result = await runMain(['simulate', '--hardware', VHK158, '--ir', small, '--csv', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(out, 'utf8'), expected(tinyDecodeIr()));
    assert.match(result.stderr, /wrote .*small\.csv/);
  });

  test('several IR files run on the worker pool and each gets <name>.csv in --out-dir', async () => {
    const out = join(work, 'many');
    const result = await runMain(['simulate', '--hardware', VHK158, '--ir', small, wide, '--out-dir', out, '--jobs', '2']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(out, 'small.csv'), 'utf8'), expected(tinyDecodeIr()));
    assert.equal(readFileSync(join(out, 'wide.csv'), 'utf8'), expected(tinyDecodeIr({ hidden: 2048, ffn: 4096 })));
    assert.match(result.stderr, /2 of 2 IR files simulated/);
  });

  test('--json prints the profile with its per-step figures', async () => {
    const result = await runMain(['simulate', '--hardware', VHK158, '--ir', small, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const profile = JSON.parse(result.stdout);
    assert.deepEqual(profile.steps.map((step: { name: string }) => step.name), ['norm', 'gate+act', 'down+add']);
    const stepTotal = profile.steps.reduce((sum: number, step: { modules: { LD: { count: number } } }) => sum + step.modules.LD.count, 0);
    assert.equal(stepTotal, profile.modules.LD.count);
  });
});

describe('fpga-llm-sim conformance', { skip: NO_REFERENCE }, () => {
  test('reports every selected reference case as matching', async () => {
    const result = await runMain(['conformance', '--reference', REFERENCE_DIR, '--filter', 'decode_token_9', '--jobs', '1']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /llama2_decode_token_992/);
    assert.match(result.stdout, /(\d+) of \1 cases match FlightLLM within 0\.000001 relative \(\1 byte-identical CSVs\)\./);
  });
});

describe('fpga-llm-sim compile', () => {
  test('writes the IR and the masks, and the IR simulates', async () => {
    const out = join(work, 'compiled');
    const model = tinyModelFile(work, { name: 'tiny-local.yaml', mapping: { attentionMasks: { pattern: 'local+sink', windowBlocks: 2, sinkBlocks: 1 } } });
    const compiled = await runMain(['compile', '--model', model, '--stage', 'prefill', '--tokens', '200', '--out', out]);
    assert.equal(compiled.code, 0, compiled.stderr);
    assert.match(compiled.stderr, /wrote .*tiny_prefill_token_256\.yaml/);
    assert.match(compiled.stderr, /wrote 2 masks \(local\+sink\)/);
    assert.match(compiled.stderr, /memory: HBM \d+\.\d\d GiB of 8\.00 GiB/);
    const simulated = await runMain(['simulate', '--hardware', VHK158, '--ir', join(out, 'tiny_prefill_token_256.yaml')]);
    assert.equal(simulated.code, 0, simulated.stderr);
    assert.match(simulated.stdout, /^inst_type,inst_cnt,part_time,part_time_ratio\n/);
  });
});
