import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dump } from 'js-yaml';
import { runMain, temporaryDirectory, tinyDecodeIr, tinyModelFile, VHK158 } from '../helpers.js';

const work = temporaryDirectory();
const model = tinyModelFile(work);
const gpu = join(work, 'gpu.csv');
writeFileSync(gpu, 'device,backend,batch,prompt,generated,prefill_ms,decode_ms,total_ms,source\nA100,GPU-x,1,100,40,2,80,82,test\nA100,GPU-x,1,256,64,3,100,103,test\n');
// One thread: these few small lengths simulate faster here than a worker pool starts (test/cli/simulate.test.ts runs the pool).
const common = ['--model', model, '--out-dir', join(work, 'out'), '--jobs', '1'];
// Results are kept in the cache directory: a cache of this file's own, so that its first run computes.
const env = { FPGA_LLM_SIM_CACHE: temporaryDirectory() };

describe('fpga-llm-sim profile', () => {
  test('--json prints hardware, model and per-case FPGA figures, their bound, and GPU figures with null where a GPU lacks a case', async () => {
    const result = await runMain(['profile', ...common, '--cases', '1x100x40,1x128x16', '--gpu', gpu, '--json'], { env });
    assert.equal(result.code, 0, result.stderr);
    const document = JSON.parse(result.stdout);
    assert.equal(document.hardware, 'vhk158');
    assert.equal(document.model, 'Tiny');
    assert.deepEqual(Object.keys(document.cases[0]), ['batch', 'prompt', 'generated', 'device', 'fpga', 'bound', 'boundMs', 'energy', 'gpu']);
    assert.deepEqual(Object.keys(document.cases[0].device), ['prefillMs', 'decodeMs', 'totalMs', 'tokensPerSecond']);
    for (const c of document.cases) {
      // `fpga` is the deprecated name of the same figures.
      assert.deepEqual(c.fpga, c.device);
      assert.deepEqual(c.boundMs, { prefill: c.bound.prefillMs, decode: c.bound.decodeMs });
      assert.ok(c.boundMs.prefill > 0 && c.boundMs.prefill <= c.device.prefillMs, `prefill bound ${c.boundMs.prefill} vs ${c.device.prefillMs}`);
      assert.ok(c.boundMs.decode > 0 && c.boundMs.decode <= c.device.decodeMs, `decode bound ${c.boundMs.decode} vs ${c.device.decodeMs}`);
    }
    assert.equal(document.cases[0].gpu['GPU-x'].totalMs, 82);
    assert.equal(document.cases[1].gpu['GPU-x'], null);
    assert.match(result.stderr, /profile: \d+ token lengths simulated, 0 reused/);
    assert.ok(existsSync(join(work, 'out', 'profiler_output', 'tiny_decode_token_144.csv')));
  });

  test('a second run reuses every length, from the cache, and writes its CSVs where asked', async () => {
    const result = await runMain(['profile', '--model', model, '--jobs', '1', '--out-dir', join(work, 'elsewhere'), '--cases', '1x100x40', '--gpu', gpu], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /profile: 0 token lengths simulated, 4 reused/);
    assert.ok(existsSync(join(work, 'elsewhere', 'profiler_output', 'tiny_decode_token_144.csv')));
    assert.match(result.stdout, /\+-+Case: Tiny, \(Batch 1, Prefill 100, Decode   40\)-+\+\n\| Hardware +\| +GPU-x +\| VHK158 FPGA \|/);
  });
});

describe('fpga-llm-sim compare', () => {
  test('lists the cases each side lacks instead of inventing figures', async () => {
    const saved = join(work, 'fpga.json');
    const profiled = await runMain(['profile', ...common, '--cases', '1x100x40,1x512x8', '--gpu', gpu, '--json']);
    writeFileSync(saved, profiled.stdout);
    const result = await runMain(['compare', '--gpu', gpu, '--fpga', saved]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Missing \(shown as —\):\n {2}1x512x8: not in GPU-x .*\n {2}1x256x64: no FPGA figures\n/);
    assert.match(result.stdout, /Prefill 256, Decode   64[\s\S]*?\| Total time \(ms\) +\| +103\.0 +\| +— +\|/);
    // A file saved before 0.2 names the figures `fpga` only: read alike.
    const old = JSON.parse(profiled.stdout) as { cases: Array<Record<string, unknown>> };
    for (const c of old.cases) delete c['device'];
    writeFileSync(saved, JSON.stringify(old));
    assert.equal((await runMain(['compare', '--gpu', gpu, '--fpga', saved])).stdout, result.stdout);
    // One with neither is refused, naming the case.
    for (const c of old.cases) delete c['fpga'];
    writeFileSync(saved, JSON.stringify(old));
    const refused = await runMain(['compare', '--gpu', gpu, '--fpga', saved]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /cases\[0\]\.device: expected the case's figures/);
  });
});

describe('fpga-llm-sim figures', () => {
  test('writes the five figures, each as SVG and PNG of the same size', async () => {
    const out = join(work, 'figures');
    const result = await runMain(['figures', ...common, '--cases', '1x100x40', '--gpu', gpu, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    for (const name of ['case-latency', 'case-speedup', 'decode-latency', 'module-busy-prefill', 'module-busy-decode']) {
      const svg = readFileSync(join(out, `${name}.svg`), 'utf8');
      assert.match(svg, /^<svg [^>]*>[\s\S]*<\/svg>$/);
      const png = readFileSync(join(out, `${name}.png`));
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${name}.png is a PNG`);
      // The PNG is the SVG at twice its size (IHDR's width and height, big-endian, at bytes 16 and 20).
      const [width, height] = /width="(\d+)" height="(\d+)"/.exec(svg)!.slice(1).map(Number);
      assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [2 * width!, 2 * height!], name);
    }
  });
});

describe('fpga-llm-sim simulate --trace', () => {
  test('writes a trace-event file and says how many instructions it holds', async () => {
    const ir = join(work, 'tiny-ir.yaml');
    writeFileSync(ir, dump(tinyDecodeIr()));
    const trace = join(work, 'trace.json');
    const result = await runMain(['simulate', '--hardware', VHK158, '--ir', ir, '--trace', trace, '--trace-max-events', '20']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /wrote .*trace\.json: 20 instruction slices; \d+ more left out/);
    const events = JSON.parse(readFileSync(trace, 'utf8')).traceEvents as Array<{ ph: string }>;
    assert.ok(events.some((e) => e.ph === 'X'));
  });
});
