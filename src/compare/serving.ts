import Table from 'cli-table3';
import { basename } from 'node:path';
import { concurrencyOf, goodputOf, loadServingCsv, loadVllmResult, requestRateOf, type ServingMeasurement, type VllmResult } from '../calibrate/index.js';
import { UsageError } from '../errors.js';
import type { Hardware } from '../backends/index.js';
import type { Model } from '../model/index.js';
import type { ParallelOptions } from '../parallel/index.js';
import { serve, type RouterName } from '../serving/index.js';
import type { ContentCache } from '../util/cache.js';

/*
 * Measured serving runs beside the same scenario simulated on a board: a
 * `vllm bench serve` result (its mean lengths, concurrency and rate) or a
 * row of K100-AI-style measurements (its concurrency, with lengths from the
 * row or the command line). Throughput, latency, power and tokens per joule
 * side by side, with the simulated-over-measured ratios.
 */

export interface MeasuredRun {
  readonly label: string;
  readonly inputLen: number;
  readonly outputLen: number;
  readonly concurrency: number;
  readonly requestRate: number;
  /** Gamma shape of the gaps between requests (1: Poisson). */
  readonly burstiness: number;
  readonly numPrompts: number;
  readonly outputTokensPerSecond: number;
  /** The latency compared: mean TPOT from vLLM, P50 per-token latency from a K100-style table. */
  readonly latency: { readonly name: 'mean TPOT' | 'P50 TPOT'; readonly ms: number } | undefined;
  readonly meanTtftMs: number | undefined;
  readonly powerWatts: number | undefined;
  readonly goodput: number | undefined;
}

export interface ServingComparisonRow {
  readonly measured: MeasuredRun;
  readonly simulated: {
    readonly outputTokensPerSecond: number;
    readonly latencyMs: number | undefined;
    readonly meanTtftMs: number;
    readonly powerWatts: number | null;
    readonly tokensPerJoule: number | null;
  };
}

/** A vLLM result as a measured run: its mean lengths, concurrency, rate and request count. */
export function measuredFromVllm(result: VllmResult, file: string): MeasuredRun {
  return {
    label: `${basename(file)}${result.model_id === undefined ? '' : ` (${result.model_id})`}`,
    inputLen: Math.max(1, Math.round(result.total_input_tokens / result.completed)),
    outputLen: Math.max(1, Math.round(result.total_output_tokens / result.completed)),
    concurrency: concurrencyOf(result),
    requestRate: requestRateOf(result),
    burstiness: result.burstiness ?? 1,
    numPrompts: result.completed,
    outputTokensPerSecond: result.output_throughput,
    latency: { name: 'mean TPOT', ms: result.mean_tpot_ms },
    meanTtftMs: result.mean_ttft_ms,
    powerWatts: undefined,
    goodput: goodputOf(result),
  };
}

/** A K100-style row as a measured run; lengths from the row, else from `lengths`. */
export function measuredFromCsv(row: ServingMeasurement, file: string, lengths: { inputLen?: number | undefined; outputLen?: number | undefined; numPrompts?: number | undefined }): MeasuredRun {
  const inputLen = row.input_len ?? lengths.inputLen;
  const outputLen = row.output_len ?? lengths.outputLen;
  if (inputLen === undefined || outputLen === undefined) throw new UsageError({ what: `${file}, line ${row.line}: the row gives no input_len and output_len`, detail: 'give the scenario with --input-len and --output-len.' });
  return {
    label: `${row.model} ${row.framework}`,
    inputLen,
    outputLen,
    concurrency: row.concurrency,
    requestRate: Infinity,
    burstiness: 1,
    numPrompts: row.num_prompts ?? lengths.numPrompts ?? Math.max(64, 4 * row.concurrency),
    outputTokensPerSecond: row.throughput_tok_s,
    latency: row.p50_ms === undefined ? undefined : { name: 'P50 TPOT', ms: row.p50_ms },
    meanTtftMs: undefined,
    powerWatts: row.power_w,
    goodput: undefined,
  };
}

export function loadMeasuredRuns(files: { vllm: readonly string[]; csv: readonly string[] }, lengths: Parameters<typeof measuredFromCsv>[2]): MeasuredRun[] {
  return [...files.vllm.map((file) => measuredFromVllm(loadVllmResult(file), file)), ...files.csv.flatMap((file) => loadServingCsv(file).map((row) => measuredFromCsv(row, file, lengths)))];
}

/** Each measured run's scenario served on the board: fixed lengths, the same concurrency, rate and request count. */
export function simulateMeasured(runs: readonly MeasuredRun[], s: { hardware: Hardware; model: Model; cache?: ContentCache | undefined; parallel?: ParallelOptions | undefined; router?: RouterName | undefined; onRun?: (done: number, total: number) => void }): ServingComparisonRow[] {
  return runs.map((m, index) => {
    const workload = { datasetName: 'random' as const, numPrompts: m.numPrompts, randomInputLen: m.inputLen, randomOutputLen: m.outputLen, randomRangeRatio: 0, requestRate: m.requestRate, burstiness: m.burstiness, seed: 0 };
    const { result } = serve({ hardware: s.hardware, model: s.model, workload, maxConcurrency: m.concurrency, cache: s.cache, parallel: s.parallel, router: s.router });
    s.onRun?.(index + 1, runs.length);
    const latencyKey = m.latency?.name === 'P50 TPOT' ? 'p50_tpot_ms' : 'mean_tpot_ms';
    return {
      measured: m,
      simulated: {
        outputTokensPerSecond: result.output_throughput,
        latencyMs: result[latencyKey],
        meanTtftMs: result.mean_ttft_ms,
        powerWatts: result.mean_power_watts,
        tokensPerJoule: result.output_tokens_per_joule,
      },
    };
  });
}

const fixed = (value: number | null | undefined, digits: number) => (value === null || value === undefined ? '—' : value.toFixed(digits));
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);

/** Measured tokens per joule: throughput over power, where the power was measured. */
export function measuredTokensPerJoule(m: MeasuredRun): number | undefined {
  return m.powerWatts === undefined ? undefined : m.outputTokensPerSecond / m.powerWatts;
}

export function servingComparisonTable(rows: readonly ServingComparisonRow[], title: string): string {
  const t = new Table({
    head: ['measured run', 'conc', 'in/out', 'tok/s meas.', 'tok/s sim.', 'sim/meas', 'latency', 'meas. ms', 'sim. ms', 'W meas.', 'W sim.', 'tok/J meas.', 'tok/J sim.', 'energy ratio'],
    style: { head: [], border: [], compact: true },
  });
  for (const { measured: m, simulated: s } of rows) {
    const measuredEfficiency = measuredTokensPerJoule(m);
    t.push([
      m.label,
      Number.isFinite(m.requestRate) ? `${m.concurrency} @ ${m.requestRate} req/s` : String(m.concurrency),
      `${m.inputLen}/${m.outputLen}`,
      fixed(m.outputTokensPerSecond, 1),
      fixed(s.outputTokensPerSecond, 1),
      ratio(s.outputTokensPerSecond, m.outputTokensPerSecond),
      m.latency?.name ?? '—',
      fixed(m.latency?.ms, 1),
      fixed(m.latency === undefined ? undefined : s.latencyMs, 1),
      fixed(m.powerWatts, 0),
      fixed(s.powerWatts, 0),
      fixed(measuredEfficiency, 2),
      fixed(s.tokensPerJoule, 2),
      ratio(s.tokensPerJoule, measuredEfficiency),
    ]);
  }
  return `${title}\nsim/meas: simulated over measured output throughput; energy ratio: simulated over measured tokens per joule (where power was measured)\n${t.toString()}\n`;
}
