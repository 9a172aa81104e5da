import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, runMain, temporaryDirectory, tinyModelFile } from '../helpers.js';

/*
 * `compare` with serving measurements: a K100-AI-style CSV and vLLM result
 * JSONs are simulated under the same scenario on the chosen board and
 * printed side by side; rows without lengths and malformed files are
 * refused with the line or field.
 */

const work = temporaryDirectory();
const tiny = tinyModelFile(work);

interface ComparisonJson {
  hardware: string;
  rows: Array<{
    measured: { label: string; concurrency: number; inputLen: number; outputLen: number; numPrompts: number; outputTokensPerSecond: number; powerWatts?: number; goodput?: number };
    simulated: { outputTokensPerSecond: number; powerWatts: number | null; tokensPerJoule: number | null };
  }>;
}

const csv = join(work, 'k100.csv');
writeFileSync(
  csv,
  ['model,framework,concurrency,throughput_tok_s,p50_ms,utilization_pct,power_w', 'Tiny,vLLM,1,40,25,60,200', 'Tiny,vLLM,4,150,27,80,230', 'Tiny,vLLM,8,260,30,85,240'].join('\n'),
);
const vllm = (name: string, goodputKey: string) => {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify({ completed: 12, total_input_tokens: 12 * 48, total_output_tokens: 12 * 16, max_concurrency: 3, request_rate: 'inf', duration: 2, mean_ttft_ms: 20, mean_tpot_ms: 9, output_throughput: 96, [goodputKey]: 4 }));
  return path;
};

describe('compare with serving measurements', () => {
  test('simulates each measured scenario on the board and prints both, with speed and energy ratios', async () => {
    const result = await runMain(['compare', '--gpu', csv, vllm('new.json', 'request_goodput'), vllm('old.json', 'request_goodput:'), '--hardware', 'k100-ai', '--model', tiny, '--input-len', '64', '--output-len', '16', '--num-prompts', '16', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as ComparisonJson;
    assert.equal(json.hardware, 'k100-ai');
    assert.equal(json.rows.length, 5);
    const [newJson, oldJson, ...csvRows] = json.rows;
    assert.equal(newJson!.measured.goodput, 4);
    assert.equal(oldJson!.measured.goodput, 4, "benchmark_serving.py's request_goodput: key is read");
    assert.deepEqual([newJson!.measured.inputLen, newJson!.measured.outputLen, newJson!.measured.concurrency, newJson!.measured.numPrompts], [48, 16, 3, 12]);
    assert.deepEqual(csvRows.map((r) => r.measured.concurrency), [1, 4, 8]);
    assert.deepEqual(csvRows.map((r) => [r.measured.inputLen, r.measured.outputLen]), [[64, 16], [64, 16], [64, 16]]);
    // More clients, more simulated throughput; a board with an energy model reports power and tokens per joule.
    const simulated = csvRows.map((r) => r.simulated.outputTokensPerSecond);
    assert.ok(simulated[0]! < simulated[1]! && simulated[1]! < simulated[2]!);
    for (const r of json.rows) assert.ok(r.simulated.tokensPerJoule !== null && r.simulated.powerWatts !== null);
  });

  test('prints the table with the ratios', async () => {
    const result = await runMain(['compare', '--gpu', csv, '--hardware', 'a100-80gb-sxm-vllm', '--model', tiny, '--input-len', '64', '--output-len', '16', '--num-prompts', '16']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /sim\/meas/);
    assert.match(result.stdout, /energy ratio/);
    assert.match(result.stdout, /\d+\.\d\d×/);
  });

  test('refuses a CSV row without lengths when none are given, naming the line', async () => {
    const result = await runMain(['compare', '--gpu', csv, '--hardware', 'k100-ai', '--model', tiny]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /k100\.csv, line 2: the row gives no input_len and output_len/);
  });

  test('refuses a malformed value naming its line and column', async () => {
    const bad = join(work, 'bad.csv');
    writeFileSync(bad, ['model,framework,concurrency,throughput_tok_s,p50_ms,utilization_pct,power_w', 'Tiny,vLLM,two,40,,,'].join('\n'));
    const result = await runMain(['compare', '--gpu', bad, '--hardware', 'k100-ai', '--model', tiny, '--input-len', '8', '--output-len', '8']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /line 2, column concurrency/);
  });

  test('reads the shipped K100-AI measurements', async () => {
    const result = await runMain(['compare', '--gpu', join(ROOT, 'compiler_output/serving/k100-ai-qwen2.5-7b-vllm.csv'), '--hardware', 'k100-ai', '--model', tiny, '--num-prompts', '8', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as ComparisonJson;
    assert.deepEqual(json.rows.map((r) => r.measured.concurrency), [1, 4, 16, 64, 128, 256]);
  });
});
