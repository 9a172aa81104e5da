import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runMain, temporaryDirectory, tinyModelFile } from '../helpers.js';

/*
 * `boards`: one table for FPGAs, GPUs and ASICs. Each row's figures stay
 * within their bounds, energy figures follow from their definitions, a GPU
 * runs the model at its default precision, and a model a board cannot hold
 * is refused with the reason.
 */

const work = temporaryDirectory();
const tiny = tinyModelFile(work);

interface Row {
  hardware: string;
  kind: string;
  precision: string;
  refused: string | null;
  result: { device: { tokensPerSecond: number; prefillMs: number; totalMs: number }; bound: { tokensPerSecond: number; prefillMs: number }; energy: { joules: number; averageWatts: number; tokensPerJoule: number; tokensPerDollar: number } | null } | null;
  served: { outputTokensPerSecond: number; boundTokensPerSecond: number; tokensPerJoule: number | null; meanPowerWatts: number | null } | null;
}

const boards = ['vhk158', 'u250', 'a100-80gb-sxm-vllm', 'k100-ai'];
const run = runMain(['boards', '--hardware', ...boards, '--model', tiny, 'qwen2.5-32b', '--case', '1x32x8', '--concurrency', '4', '--json', '--jobs', '1']);

describe('boards', () => {
  test('lists every board × model pair, FPGAs at the model’s precision and GPUs at their default', async () => {
    const result = await run;
    assert.equal(result.code, 0, result.stderr);
    const rows = JSON.parse(result.stdout) as Row[];
    assert.deepEqual([...new Set(rows.map((r) => r.hardware))], boards);
    assert.equal(rows.length, boards.length * 2);
    const gpu = rows.find((r) => r.hardware === 'a100-80gb-sxm-vllm' && r.refused === null)!;
    assert.equal(gpu.kind, 'roofline');
    assert.match(gpu.precision, /FP16/);
    assert.match(rows.find((r) => r.hardware === 'vhk158' && r.refused === null)!.precision, /^W4A8/);
  });

  test('keeps every figure within its bound, at batch 1 and served', async () => {
    const rows = (JSON.parse((await run).stdout) as Row[]).filter((r) => r.result !== null);
    assert.ok(rows.length >= boards.length);
    for (const r of rows) {
      assert.ok(r.result!.device.tokensPerSecond <= r.result!.bound.tokensPerSecond, `${r.hardware}: throughput above its bound`);
      assert.ok(r.result!.device.prefillMs >= r.result!.bound.prefillMs, `${r.hardware}: prefill below its bound`);
      assert.ok(r.served!.outputTokensPerSecond <= r.served!.boundTokensPerSecond, `${r.hardware}: served throughput above its bound`);
      // No client decodes faster than a request alone: four serve at most four times one's rate.
      assert.ok(r.served!.outputTokensPerSecond <= 4 * r.result!.device.tokensPerSecond * 1.01, `${r.hardware}: four clients faster than four lone requests`);
    }
  });

  test('reports energy that follows from its definitions: tokens per joule, average watts, tokens per dollar', async () => {
    const rows = (JSON.parse((await run).stdout) as Row[]).filter((r) => r.result !== null);
    for (const r of rows) {
      const e = r.result!.energy!;
      const tokens = 8;
      assert.ok(Math.abs(e.tokensPerJoule * e.joules - tokens) < 1e-9, r.hardware);
      assert.ok(Math.abs(e.averageWatts - e.joules / (r.result!.device.totalMs / 1000)) < 1e-6, r.hardware);
      assert.ok(r.served!.tokensPerJoule! > 0 && r.served!.meanPowerWatts! > 0, r.hardware);
    }
  });

  test('refuses a model a board cannot hold, saying why', async () => {
    const rows = JSON.parse((await run).stdout) as Row[];
    const refused = rows.find((r) => r.hardware === 'vhk158' && r.refused !== null);
    assert.ok(refused !== undefined, 'Qwen2.5-32B does not fit the VHK158’s 8 GiB');
    assert.match(refused.refused!, /does not fit/);
  });

  test('prints the table with energy and served columns and the refusal notes', async () => {
    const result = await runMain(['boards', '--hardware', 'u280', 'v100s', '--model', tiny, '--case', '1x32x4', '--concurrency', '2', '--jobs', '1']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /token\/J/);
    assert.match(result.stdout, /served token\/s/);
    assert.match(result.stdout, /\bv100s\b.*FP16/);
    assert.match(result.stderr, /2 model × board pairs/);
  });
});
