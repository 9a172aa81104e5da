import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serve } from '../../src/serving/index.js';
import { tinyModel, vhk158Hardware } from '../helpers.js';

/*
 * A consumer reads a run's metrics as typed properties. `npm run typecheck`
 * (strict) compiles this file: each `@ts-expect-error` line must fail to
 * compile, so a misspelt metric that type-checked would fail CI.
 */

test("a run's vLLM metrics are numbers a strict consumer reads without a cast", () => {
  const { result } = serve({ hardware: vhk158Hardware(), model: tinyModel(), workload: { datasetName: 'random', numPrompts: 4, randomInputLen: 64, randomOutputLen: 8, randomRangeRatio: 0, requestRate: Infinity, seed: 1 } });
  const ttft: number = result.mean_ttft_ms;
  const p99: number = result.p99_e2el_ms;
  const goodput: number | null = result.request_goodput;
  // @ts-expect-error a misspelt metric does not compile
  const misspelt: number = result.mean_ttf_ms;
  // @ts-expect-error nor does a percentile of a metric vLLM does not report
  const unknownMetric: number = result.p99_ttfb_ms;
  assert.ok(ttft > 0 && p99 >= ttft);
  assert.equal(goodput, null);
  assert.equal(misspelt, undefined);
  assert.equal(unknownMetric, undefined);
});
