import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { arrivalTimes, generateRequests, mean, percentile, std, summary } from '../../src/serving/index.js';
import { Draws } from '../../src/serving/random.js';
import { temporaryDirectory, thrown } from '../helpers.js';

describe('random workloads', () => {
  test('draw lengths within ± the range ratio, floor and ceiling as vLLM bounds them, the same for the same seed', () => {
    const options = { datasetName: 'random' as const, numPrompts: 400, randomInputLen: 100, randomOutputLen: 30, randomRangeRatio: 0.25, seed: 9 };
    const requests = generateRequests(options);
    assert.ok(requests.every((r) => r.promptTokens >= 75 && r.promptTokens <= 125 && r.outputTokens >= 22 && r.outputTokens <= 38));
    assert.ok(new Set(requests.map((r) => r.promptTokens)).size > 20);
    assert.deepEqual(generateRequests(options), requests);
    assert.notDeepEqual(generateRequests({ ...options, seed: 10 }).map((r) => r.promptTokens), requests.map((r) => r.promptTokens));
  });

  test('at rate inf every request arrives at once; at a rate, the last arrives at count / rate', () => {
    assert.ok(arrivalTimes(10, Infinity, 1, new Draws(0)).every((t) => t === 0));
    const times = arrivalTimes(200, 8, 1, new Draws(1));
    assert.ok(Math.abs(times.at(-1)! - (200 / 8) * 1000) < 1e-6);
    assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]!));
  });

  test('a burstiness so low that every gap rounds to 0 sends every request at once, never at NaN', () => {
    assert.deepEqual(arrivalTimes(4, 1, 1e-300, new Draws(0)), [0, 0, 0, 0]);
  });

  test('gaps of burstiness 1 are exponential (coefficient of variation 1); lower burstiness is burstier', () => {
    const gaps = (burstiness: number) => {
      const times = arrivalTimes(20_000, 10, burstiness, new Draws(4));
      return times.map((t, i) => t - (times[i - 1] ?? 0));
    };
    const cv = (values: number[]) => std(values) / mean(values);
    assert.ok(Math.abs(cv(gaps(1)) - 1) < 0.05, String(cv(gaps(1))));
    // A gamma of shape k has a coefficient of variation of 1/√k.
    assert.ok(Math.abs(cv(gaps(0.25)) - 2) < 0.15, String(cv(gaps(0.25))));
  });
});

describe('multi-turn workloads', () => {
  test("each turn's prompt is the history plus a new message, following the turn before", () => {
    const requests = generateRequests({ datasetName: 'multiturn', numPrompts: 6, multiturnTurns: 3, multiturnPrefixLen: 100, multiturnInputLen: 10, multiturnOutputLen: 20 });
    assert.deepEqual(requests.map((r) => r.promptTokens), [110, 140, 170, 110, 140, 170]);
    assert.deepEqual(requests.map((r) => r.after), [undefined, 0, 1, undefined, 3, 4]);
    assert.deepEqual(requests[2]!.prompt.slice(0, -1), [...requests[1]!.prompt, requests[1]!.output]);
  });
});

describe('traces', () => {
  const directory = temporaryDirectory();
  const file = (name: string, text: string) => {
    const path = join(directory, name);
    writeFileSync(path, text);
    return path;
  };

  test('a Vidur CSV replays at its times in seconds', () => {
    const path = file('ok.csv', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,100,10\n0.5,50,5\n');
    const requests = generateRequests({ datasetName: 'trace', datasetPath: path });
    assert.deepEqual(requests.map((r) => [r.arrivalMs, r.promptTokens, r.outputTokens]), [[0, 100, 10], [500, 50, 5]]);
  });

  test('a JSONL trace takes token ids where given', () => {
    const path = file('ok.jsonl', '{"input_toks":3,"output_toks":2,"arrival_time_ns":0,"input_tok_ids":[5,6,7]}\n{"input_toks":4,"output_toks":1,"arrival_time_ns":2000000}\n');
    const requests = generateRequests({ datasetName: 'trace', datasetPath: path });
    assert.deepEqual(requests[0]!.prompt, [{ ids: Int32Array.from([5, 6, 7]) }]);
    assert.equal(requests[1]!.arrivalMs, 2);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['missing.csv', 'arrived_at,num_prefill_tokens\n0,1\n', /missing.csv: invalid trace: line 1: missing column num_decode_tokens/],
    ['negative.csv', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,2\n1,-4,2\n', /negative.csv: invalid trace: line 3: num_prefill_tokens: expected a whole number of tokens of at least 1, got "-4"/],
    ['fraction.csv', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,2.5\n', /line 2: num_decode_tokens: expected a whole number of tokens of at least 1, got "2.5"/],
    ['order.csv', 'arrived_at,num_prefill_tokens,num_decode_tokens\n2,10,2\n1,10,2\n', /line 3: arrives at 1 s, before the request on line 2 \(2 s\)/],
    ['ids.jsonl', '{"input_toks":3,"output_toks":2,"arrival_time_ns":0,"input_tok_ids":[5,6]}\n', /ids.jsonl: invalid trace: line 1: input_tok_ids: expected 3 non-negative integer token ids/],
    ['notjson.jsonl', '{"input_toks":3,\n', /notjson.jsonl: invalid trace: line 1: not JSON/],
  ];
  for (const [name, text, message] of bad) {
    test(`${name}: one error naming the file, the line and the field`, () => {
      assert.match(thrown(UserError, () => generateRequests({ datasetName: 'trace', datasetPath: file(name, text) })).message, message);
    });
  }
});

describe("vllm bench serve's statistics", () => {
  test('percentiles interpolate linearly between order statistics, as numpy does', () => {
    const sorted = [1, 2, 3, 4, 10];
    const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} against ${expected}`);
    assert.equal(percentile(sorted, 50), 3);
    // Rank p/100 · (n − 1): 3.6 for P90, 3.96 for P99, between the 4th and 5th values.
    close(percentile(sorted, 90), 4 + 0.6 * 6);
    close(percentile(sorted, 99), 4 + 0.96 * 6);
    assert.equal(percentile([7], 99), 7);
  });

  test('summaries name their fields as vLLM does, with a population standard deviation', () => {
    const s = summary('ttft', [2, 4, 4, 4, 5, 5, 7, 9], [50, 99.9]);
    assert.deepEqual(Object.keys(s), ['mean_ttft_ms', 'median_ttft_ms', 'std_ttft_ms', 'p50_ttft_ms', 'p99.9_ttft_ms']);
    assert.equal(s['std_ttft_ms'], 2);
    assert.equal(s['mean_ttft_ms'], 5);
  });
});
