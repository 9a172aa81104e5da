import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PRECISION_PRESET_NAMES } from '../../src/model/index.js';
import { profileCases } from '../../src/profiler/index.js';
import { ROOT, runMain, temporaryDirectory, tinyModel, tinyModelFile, VHK158, vhk158Hardware, type CliResult } from '../helpers.js';

/*
 * The boards beside the VHK158 (given by name), hardware overrides,
 * precisions and the sensitivity command, through the CLI in this process.
 */

const work = temporaryDirectory();
const tiny = tinyModelFile(work);
const outDir = (name: string) => join(work, name);

// One thread each: small lengths simulate faster in this thread than a worker pool starts.
const RUNS = {
  u250: ['profile', '--hardware', 'u250', '--model', 'qwen2.5-32b', '--cases', '1x16x2', '--json', '--out-dir', outDir('u250'), '--jobs', '1'],
  u280: ['profile', '--hardware', 'u280', '--model', 'llama2-7b', '--cases', '1x128x2', '--json', '--out-dir', outDir('u280'), '--jobs', '1'],
  v80: ['profile', '--hardware', 'v80', '--model', 'llama2-7b', '--cases', '1x128x2', '--json', '--out-dir', outDir('v80'), '--jobs', '1'],
  tinyHalfDivisor: ['profile', '--model', tiny, '--cases', '1x16x2', '--json', '--out-dir', outDir('tiny-half'), '--set', `calibration.timeDivisor=${vhk158Hardware().calibration.timeDivisor / 2}`, '--jobs', '1'],
  tinyPrecision: ['profile', '--hardware', 'u280', '--model', tiny, '--cases', '1x16x2', '--json', '--out-dir', outDir('tiny-w4a16'), '--precision', 'W4A16', '--kv-cache', 'int8', '--jobs', '1'],
  tinyTable: ['profile', '--model', tiny, '--cases', '1x16x2', '--out-dir', outDir('tiny-table'), '--jobs', '1'],
  tinyNoBound: ['profile', '--model', tiny, '--cases', '1x16x2', '--out-dir', outDir('tiny-nobound'), '--no-bound', '--jobs', '1'],
  badKey: ['profile', '--model', tiny, '--cases', '1x16x2', '--out-dir', outDir('bad-key'), '--set', 'hbm.nonsense.deep=3', '--jobs', '1'],
  badPrecision: ['profile', '--model', tiny, '--cases', '1x16x2', '--out-dir', outDir('bad-precision'), '--precision', 'W9A9', '--jobs', '1'],
  sensitivity: ['sensitivity', '--hardware', VHK158, '--model', tiny, '--case', '1x16x2', '--keys', 'calibration.timeDivisor', '--json', '--out-dir', outDir('sensitivity'), '--jobs', '1'],
} as const;

// Each run once, when a test first needs it; some tests share one.
const runs = new Map<keyof typeof RUNS, Promise<CliResult>>();
const run = (name: keyof typeof RUNS): Promise<CliResult> => {
  if (!runs.has(name)) runs.set(name, runMain(RUNS[name]));
  return runs.get(name)!;
};

interface CaseJson {
  device: { prefillMs: number; decodeMs: number; totalMs: number; tokensPerSecond: number };
  bound: { prefillMs: number; decodeMs: number; totalMs: number; tokensPerSecond: number };
  boundMs: { prefill: number; decode: number };
  gpu: Record<string, unknown>;
}

async function profiled(name: keyof typeof RUNS): Promise<{ hardware: string; model: string; cases: CaseJson[]; stderr: string }> {
  const result = await run(name);
  assert.equal(result.code, 0, result.stderr);
  return { ...JSON.parse(result.stdout), stderr: result.stderr };
}

function assertWithinBound(c: CaseJson): void {
  assert.deepEqual(c.boundMs, { prefill: c.bound.prefillMs, decode: c.bound.decodeMs });
  assert.ok(c.boundMs.prefill > 0 && c.boundMs.prefill <= c.device.prefillMs, `prefill bound ${c.boundMs.prefill} vs ${c.device.prefillMs}`);
  assert.ok(c.boundMs.decode > 0 && c.boundMs.decode <= c.device.decodeMs, `decode bound ${c.boundMs.decode} vs ${c.device.decodeMs}`);
}

/** A user error: exit 2, one line naming the problem, nothing on stdout. */
function assertUserError(result: CliResult, message: RegExp): void {
  assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /^fpga-llm-sim: error: /);
  assert.match(result.stderr, message);
}

describe('profile on other boards', () => {
  test('Qwen2.5-32B on the U250 runs, within its bound; the LLaMA2 GPU profiles are left out with a note', async () => {
    const document = await profiled('u250');
    assert.equal(document.hardware, 'u250');
    assert.equal(document.model, 'Qwen2.5-32B');
    assert.equal(document.cases.length, 1);
    assertWithinBound(document.cases[0]!);
    assert.deepEqual(document.cases[0]!.gpu, {});
    assert.match(document.stderr, /a100-vllm\.csv has no rows for Qwen2\.5-32B; left out/);
  });

  for (const board of ['u280', 'v80'] as const) {
    test(`LLaMA2-7B on the ${board.toUpperCase()} runs, within its bound`, async () => {
      const document = await profiled(board);
      assert.equal(document.hardware, board);
      assertWithinBound(document.cases[0]!);
      // The shipped GPU profiles measured LLaMA2-7B, but not this case.
      assert.deepEqual(document.cases[0]!.gpu, { 'GPU-naive': null, 'GPU-opt': null });
    });
  }

  test('the V80, with more bandwidth than the U280 and the same engines, decodes LLaMA2-7B faster', async () => {
    const [u280, v80] = await Promise.all([profiled('u280'), profiled('v80')]);
    assert.ok(v80.cases[0]!.device.decodeMs < u280.cases[0]!.device.decodeMs);
    assert.ok(v80.cases[0]!.bound.decodeMs < u280.cases[0]!.bound.decodeMs);
  });
});

describe('hardware overrides and precision options', () => {
  test('--set calibration.timeDivisor to half its value doubles every simulated latency and leaves the bound alone', async () => {
    // The same case without the override, simulated in this process.
    const a = (await profileCases({ hardware: vhk158Hardware(), cases: [{ batch: 1, prompt: 16, generated: 2 }], source: { kind: 'model', model: tinyModel() }, threads: 1 })).cases[0]!;
    const b = (await profiled('tinyHalfDivisor')).cases[0]!;
    assert.ok(Math.abs(b.device.prefillMs - 2 * a.device.prefillMs) < 1e-9 * a.device.prefillMs, `${b.device.prefillMs} vs 2 × ${a.device.prefillMs}`);
    assert.ok(Math.abs(b.device.decodeMs - 2 * a.device.decodeMs) < 1e-9 * a.device.decodeMs, `${b.device.decodeMs} vs 2 × ${a.device.decodeMs}`);
    assert.deepEqual(b.bound, a.bound);
  });

  test('--precision and --kv-cache show in the model label', async () => {
    const document = await profiled('tinyPrecision');
    assert.equal(document.model, 'Tiny (W4A16, int8 KV cache)');
    assertWithinBound(document.cases[0]!);
  });

  test('the table has a bound column unless --no-bound', async () => {
    const [table, noBound] = await Promise.all([run('tinyTable'), run('tinyNoBound')]);
    assert.equal(table.code, 0, table.stderr);
    assert.equal(noBound.code, 0, noBound.stderr);
    assert.match(table.stdout, /\n\| Hardware +\|(.*\|)? VHK158 FPGA \| +bound +\|\n/);
    assert.match(noBound.stdout, /\n\| Hardware +\|(.*\|)? VHK158 FPGA \|\n/);
    assert.doesNotMatch(noBound.stdout, /bound/);
  });

  test('--set under a key that is not a mapping: exit 2, one line naming the key', async () => {
    assertUserError(await run('badKey'), /invalid hardware override: hbm\.nonsense\.deep: hbm\.nonsense is not a mapping/);
  });

  test('--precision with an unknown preset: exit 2, one line listing the presets', async () => {
    const result = await run('badPrecision');
    assertUserError(result, /unknown precision "W9A9"; expected one of /);
    for (const name of [...PRECISION_PRESET_NAMES, 'INT8']) assert.ok(result.stderr.includes(name), `${name} in ${result.stderr}`);
  });
});

describe('fpga-llm-sim sensitivity', () => {
  test('--json prints the base figures and one row per key; the time divisor has decode elasticity 1', async () => {
    const result = await run('sensitivity');
    assert.equal(result.code, 0, result.stderr);
    const document = JSON.parse(result.stdout);
    assert.equal(document.hardware, 'vhk158');
    assert.deepEqual(document.case, { batch: 1, prompt: 16, generated: 2 });
    assert.equal(document.step, -0.1);
    assert.deepEqual(document.rows.map((row: { key: string }) => row.key), ['calibration.timeDivisor']);
    // Every latency is divided by the divisor: throughput follows it exactly.
    assert.ok(Math.abs(document.rows[0].decodeElasticity - 1) < 1e-9, String(document.rows[0].decodeElasticity));
    assert.ok(document.base.tokensPerSecond > 0);
  });

  test('runs on a GPU at its default precision: less launch cost, more decode throughput', async () => {
    const result = await runMain(['sensitivity', '--hardware', 'a100-80gb-sxm-vllm', '--model', tiny, '--case', '1x16x2', '--keys', 'kernelLaunchUs', '--json', '--out-dir', outDir('sensitivity-gpu'), '--jobs', '1']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /running it at FP16, the board's default/);
    const document = JSON.parse(result.stdout);
    // A tiny model's decode is mostly launches: cutting them 10 % raises throughput.
    assert.ok(document.rows[0].decodeElasticity < 0, String(document.rows[0].decodeElasticity));
  });
});

describe('fpga-llm-sim boards', () => {
  // The board table and the figures quoted beside it (moved from the README).
  const readme = readFileSync(join(ROOT, 'docs', 'hardware.md'), 'utf8');
  /** Cells of a table row, trimmed: markdown `| a | b |` or cli-table3 `│ a │ b │`. */
  const cells = (line: string, separator: string) => line.split(separator).slice(1, -1).map((cell) => cell.trim());
  /** The row of a table whose board and model cells match, ignoring case (the README capitalises names). */
  const rowOf = (text: string, separator: string, board: string, model: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(separator))
      .map((line) => cells(line, separator))
      .find((row) => row[0]?.toLowerCase() === board.toLowerCase() && row[1]?.toLowerCase() === model.toLowerCase());

  test("the U280 row for LLaMA2-7B, case 1x128x512, is the README's, figure for figure, and a model too large is refused as the README quotes", async () => {
    const result = await runMain(['boards', '--hardware', 'u280', '--model', 'llama2-7b', 'qwen2.5-32b', '--case', '1x128x512', '--jobs', '1']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Case 1x128x512 \(batch x prompt x generated\)/);
    const ours = rowOf(result.stdout, '│', 'u280', 'llama2-7b');
    const documented = rowOf(readme, '|', 'u280', 'llama2-7b');
    assert.ok(ours !== undefined && documented !== undefined, `rows: ${ours} / ${documented}`);
    assert.deepEqual(ours.map((cell) => cell.toLowerCase()), documented.map((cell) => cell.toLowerCase()));
    // The figure the README compares with FlightLLM's measured 55 token/s.
    assert.equal(ours[6], /--hardware u280` estimates \*\*([\d.]+) token\/s\*\*/.exec(readme)?.[1]);
    const refusal = /"(does not fit in HBM of u280: [^"]*)"/.exec(readme)?.[1]?.replace(/\s+/g, ' ');
    assert.ok(refusal !== undefined);
    assert.deepEqual(rowOf(result.stdout, '│', 'u280', 'Qwen2.5-32B')?.slice(4, 6), ['refused', '']);
    assert.ok(result.stdout.includes(`u280 × Qwen2.5-32B: Qwen2.5-32B ${refusal}`), result.stdout);
    assert.match(result.stderr, /^boards: 2 model × board pairs\n$/);
  });
});
