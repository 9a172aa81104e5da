import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createStepCostModel } from '../../src/cost/index.js';
import { K100_AI_SCENARIOS } from '../../src/serving/index.js';
import { designFit } from '../../src/backends/index.js';
import { runMain, shippedHardware, temporaryDirectory, tinyModel, tinyModelFile, VHK158, vhk158Hardware } from '../helpers.js';

const work = temporaryDirectory();
const tiny = tinyModelFile(work);
const board = ['--hardware', VHK158, '--model', tiny];

describe('fpga-llm-sim step', () => {
  test("--json gives the step's latency, bound, module busy times and sequences, as the library costs it", async () => {
    const result = await runMain(['step', ...board, '--seq', '1@300', '--seq', '1@40x3', '--seq', '64@0', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const step = JSON.parse(result.stdout);
    const sequences = [{ newTokens: 1, context: 300 }, ...Array.from({ length: 3 }, () => ({ newTokens: 1, context: 40 })), { newTokens: 64, context: 0 }];
    assert.deepEqual(step.sequences, sequences);
    const expected = createStepCostModel({ hardware: vhk158Hardware(), model: tinyModel() }).exact({ sequences });
    assert.equal(step.totalMs, expected.totalMs);
    assert.equal(step.boundMs, expected.boundMs);
    assert.deepEqual(Object.keys(step.modules), ['LD', 'ST', 'MM', 'MV', 'MISC', 'SYS']);
    assert.equal(step.rows, 1 + 3 + 64);
  });

  test("--json carries the design on its device: each check's use, capacity and utilisation, as the library checks it", async () => {
    const result = await runMain(['step', '--hardware', 'u280', '--model', tiny, '--seq', '1@64', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { design } = JSON.parse(result.stdout);
    const fit = designFit(shippedHardware('u280'))!;
    assert.equal(design.device, 'XCU280');
    assert.equal(design.fits, true);
    for (const line of fit.lines) {
      assert.equal(design.checks[line.item].used, line.used, line.item);
      assert.equal(design.checks[line.item].utilization, line.utilization, line.item);
    }
    assert.deepEqual(design.parts.map((part: { name: string }) => part.name), ['matrix engine', 'vector engine', 'buffers']);
    // The VHK158's resource capacities were not found: used, but unchecked, with the reason.
    const vhk158 = JSON.parse((await runMain(['step', ...board, '--seq', '1@64', '--json'])).stdout).design;
    assert.ok(vhk158.checks.dsp.used > 0 && vhk158.checks.dsp.utilization === null);
    assert.match(vhk158.checks.dsp.unchecked, /not found/);
  });

  test('the report names the limiting module, the engines and the share of the bound', async () => {
    const result = await runMain(['step', ...board, '--seq', '1@100x8', '--fast']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /one step over 8 sequences, 8 rows/);
    assert.match(result.stdout, /latency [\d.]+ ms \(fast\); bound [\d.]+ ms \((memory|compute)\); [\d.]+ % of the bound/);
    assert.match(result.stdout, /\(limits\)/);
    assert.match(result.stdout, /engines: .*(MV \(row by row\)|MM \(matrix-matrix\))/);
  });

  for (const [args, message] of [
    [['--seq', '0@5'], /"0@5": a sequence computes at least one new token/],
    [['--seq', '5@x'], /expected NEW@CONTEXT or NEW@CONTEXTxCOUNT/],
    [['--seq', '10@2045'], /--seq 10@2045: context 2045 \+ 10 new tokens = 2055 exceeds vhk158's limit of 2048 tokens \(sparsity\.maxTokens\) \(Tiny on vhk158\)/],
    [['--seq', '1@2000x5000'], /the KV cache of this batch does not fit in HBM: its 5000 sequences need/],
  ] as const) {
    test(`${args.join(' ')} is refused with exit code 2`, async () => {
      const result = await runMain(['step', ...board, ...args]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
    });
  }
});

describe('fpga-llm-sim serve', () => {
  const workload = ['--num-prompts', '12', '--random-input-len', '96', '--random-output-len', '12', '--max-concurrency', '4'];

  test("--json carries vllm bench serve's result fields and ours; the files it is asked for are written", async () => {
    const [saved, csv, trace] = [join(work, 'result.json'), join(work, 'requests.csv'), join(work, 'trace.json')];
    const result = await runMain(['serve', ...board, ...workload, '--json', '--save-result', '--result-dir', work, '--result-filename', 'result.json', '--requests-csv', csv, '--trace', trace]);
    assert.equal(result.code, 0, result.stderr);
    const document = JSON.parse(result.stdout);
    for (const key of ['duration', 'completed', 'failed', 'total_input_tokens', 'total_output_tokens', 'request_throughput', 'output_throughput', 'total_token_throughput', 'max_concurrent_requests', 'mean_ttft_ms', 'median_ttft_ms', 'std_ttft_ms', 'p50_ttft_ms', 'p90_ttft_ms', 'p99_ttft_ms', 'mean_tpot_ms', 'p99_itl_ms', 'p99_e2el_ms', 'peak_kv_cache_usage', 'prefix_cache_hit_rate', 'preemptions', 'module_busy_share', 'percent_of_bound']) {
      assert.ok(key in document, `no ${key}`);
    }
    assert.equal(document.completed, 12);
    assert.equal(document.total_output_tokens, 12 * 12);
    assert.ok(document.max_concurrent_requests <= 4);
    assert.deepEqual(JSON.parse(readFileSync(saved, 'utf8')), document);
    assert.equal(readFileSync(csv, 'utf8').trim().split('\n').length, 1 + 12);
    const events = JSON.parse(readFileSync(trace, 'utf8')).traceEvents as Array<{ name: string; tid?: number }>;
    assert.equal(events.filter((e) => e.name === 'prefill').length, 12);
    assert.equal(events.filter((e) => e.tid === 0 && e.name.startsWith('B=')).length, document.steps);
  });

  test('--save-result records the run as vllm bench serve does; an absolute --result-filename is taken as given', async () => {
    const saved = join(temporaryDirectory(), 'absolute.json');
    const result = await runMain(['serve', ...board, ...workload, '--request-rate', '8', '--burstiness', '0.5', '--save-result', '--result-dir', join(work, 'not-used'), '--result-filename', saved]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(existsSync(join(work, 'not-used')), false);
    const document = JSON.parse(readFileSync(saved, 'utf8'));
    assert.deepEqual([document.num_prompts, document.request_rate, document.burstiness, document.max_concurrency], [12, 8, 0.5, 4]);
    const unlimited = await runMain(['serve', ...board, '--num-prompts', '4', '--random-input-len', '32', '--random-output-len', '4', '--json']);
    assert.deepEqual(Object.entries(JSON.parse(unlimited.stdout)).slice(0, 4), [['num_prompts', 4], ['request_rate', 'inf'], ['burstiness', 1], ['max_concurrency', null]]);
  });

  test('compare on a result we saved serves the same scenario: simulated over measured within 1 %', async () => {
    const saved = join(work, 'round-trip.json');
    const scenario = ['--num-prompts', '24', '--random-input-len', '128', '--random-output-len', '16', '--max-concurrency', '4', '--request-rate', '6'];
    assert.equal((await runMain(['serve', ...board, ...scenario, '--save-result', '--result-filename', saved])).code, 0);
    const compared = await runMain(['compare', ...board, '--gpu', saved, '--json']);
    assert.equal(compared.code, 0, compared.stderr);
    const [row] = JSON.parse(compared.stdout).rows as Array<{ measured: { outputTokensPerSecond: number; latency: { ms: number }; meanTtftMs: number }; simulated: { outputTokensPerSecond: number; latencyMs: number; meanTtftMs: number } }>;
    for (const [name, simulated, measured] of [
      ['output throughput', row!.simulated.outputTokensPerSecond, row!.measured.outputTokensPerSecond],
      ['mean TPOT', row!.simulated.latencyMs, row!.measured.latency.ms],
      ['mean TTFT', row!.simulated.meanTtftMs, row!.measured.meanTtftMs],
    ] as const) {
      assert.ok(Math.abs(simulated / measured - 1) <= 0.01, `${name}: simulated ${simulated}, saved ${measured}`);
    }
  });

  test('a trace of epoch-scale times keeps its resolution: its times count from its first request', async () => {
    const at = (seconds: number) => JSON.stringify({ input_toks: 64, output_toks: 4, arrival_time_ns: seconds * 1e9 });
    const [late, early] = [join(work, 'late.jsonl'), join(work, 'early.jsonl')];
    writeFileSync(late, `${at(1e20)}\n${at(1e20)}\n`);
    writeFileSync(early, `${at(0)}\n${at(0)}\n`);
    const run = async (trace: string) => JSON.parse((await runMain(['serve', ...board, '--dataset-name', 'trace', '--dataset-path', trace, '--json'])).stdout) as { mean_ttft_ms: number; mean_e2el_ms: number };
    const [fromLate, fromEarly] = [await run(late), await run(early)];
    assert.ok(fromLate.mean_ttft_ms > 0 && fromLate.mean_e2el_ms > fromLate.mean_ttft_ms);
    assert.deepEqual([fromLate.mean_ttft_ms, fromLate.mean_e2el_ms], [fromEarly.mean_ttft_ms, fromEarly.mean_e2el_ms]);
  });

  test('the report follows vllm bench serve’s layout', async () => {
    const result = await runMain(['serve', ...board, ...workload, '--metric-percentiles', '50,99.9']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /=+ Serving Benchmark Result =+/);
    assert.match(result.stdout, /Successful requests:\s+12/);
    assert.match(result.stdout, /P99\.9 TTFT \(ms\):/);
  });

  test('the report shows what --json holds of the bound, Little\'s law and energy, to two decimals', async () => {
    const [text, json] = await Promise.all([runMain(['serve', ...board, ...workload]), runMain(['serve', ...board, ...workload, '--json'])]);
    assert.equal(text.code, 0, text.stderr);
    const document = JSON.parse(json.stdout);
    const value = (label: string) => new RegExp(`^${label.replace(/[()%.]/g, '\\$&')}\\s+(\\S+)`, 'm').exec(text.stdout)?.[1];
    assert.equal(value('Physical bound of the steps (s):'), (document.bound_ms / 1000).toFixed(2));
    assert.equal(value('Bound (% of the run):'), document.percent_of_bound.toFixed(2));
    assert.equal(value('Mean requests in the system:'), document.mean_requests_in_system.toFixed(2));
    assert.equal(value("Little's law, request rate x mean E2EL:"), document.littles_law_requests.toFixed(2));
    // Little's law: the time-average of requests in the system is the request rate times the mean time in it.
    assert.ok(Math.abs(document.littles_law_requests - document.request_throughput * (document.mean_e2el_ms / 1000)) < 1e-9);
    assert.equal(value('Energy (J):'), document.energy_joules.toFixed(2));
    assert.equal(value('Mean power (W):'), document.mean_power_watts.toFixed(2));
    assert.equal(value('Output tokens per joule:'), document.output_tokens_per_joule.toFixed(2));
    assert.equal(value('Joules per request:'), document.joules_per_request.toFixed(2));
    assert.equal(value('Output tokens per dollar:'), document.output_tokens_per_dollar.toFixed(2));
  });

  test('a bad trace is refused naming its file and line, and nothing is written', async () => {
    const trace = join(work, 'bad.csv');
    writeFileSync(trace, 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,2\n1,10,-2\n');
    const csv = join(work, 'never.csv');
    const result = await runMain(['serve', ...board, '--dataset-name', 'trace', '--dataset-path', trace, '--requests-csv', csv]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad\.csv: invalid trace: line 3: num_decode_tokens/);
    assert.equal(existsSync(csv), false);
  });

  test('a request longer than the model allows is refused naming the line', async () => {
    const trace = join(work, 'long.jsonl');
    writeFileSync(trace, '{"input_toks":10,"output_toks":2,"arrival_time_ns":0}\n{"input_toks":2040,"output_toks":20,"arrival_time_ns":5}\n');
    const result = await runMain(['serve', ...board, '--dataset-name', 'trace', '--dataset-path', trace]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /long\.jsonl:2: 2040 prompt \+ 20 output tokens = 2060 exceeds vhk158's limit of 2048 tokens \(sparsity\.maxTokens\)/);
  });
});

describe('fpga-llm-sim bench', () => {
  test('sweeps the concurrencies given, one row per point', async () => {
    const result = await runMain(['bench', ...board, '--random-input-len', '64', '--random-output-len', '8', '--max-concurrency', '1,4', '--num-prompts', '8', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { points } = JSON.parse(result.stdout);
    assert.deepEqual(points.map((p: { maxConcurrency: number }) => p.maxConcurrency), [1, 4]);
    assert.ok(points.every((p: { result: { completed: number } }) => p.result.completed === 8));
  });

  test('--figures writes each figure as SVG and PNG, titled with the board\'s display name', async () => {
    const figures = join(work, 'bench-figures');
    const result = await runMain(['bench', ...board, '--random-input-len', '64', '--random-output-len', '8', '--max-concurrency', '1,2', '--num-prompts', '4', '--figures', figures]);
    assert.equal(result.code, 0, result.stderr);
    for (const name of ['throughput', 'e2e-latency', 'tokens-per-joule', 'ttft-distribution', 'itl-distribution']) {
      assert.match(readFileSync(join(figures, `${name}.svg`), 'utf8'), />[^<]*: Tiny on VHK158 FPGA</, name);
      assert.ok(existsSync(join(figures, `${name}.png`)), name);
    }
  });

  test("without a scenario it runs the K100-AI benchmark's four", () => {
    assert.deepEqual(
      K100_AI_SCENARIOS.map((s) => [s.workload.randomInputLen, s.workload.randomOutputLen, s.concurrencies?.at(0), s.concurrencies?.at(-1)]),
      [[64, 64, 1, 32], [256, 256, 1, 64], [1024, 512, 1, 16], [128, 128, 1, 512]],
    );
  });
});
