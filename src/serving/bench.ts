import type { StepCostModel } from '../cost/index.js';
import { createParallelStepCostModel, SINGLE_CARD } from '../parallel/index.js';
import { compileTarget, type Hardware } from '../backends/index.js';
import { tokenLimit } from '../compiler/index.js';
import type { Model } from '../model/index.js';
import type { ContentCache } from '../util/cache.js';
import type { RequestRecord } from './collector.js';
import type { ServingResult, VllmPerRequestFields } from './result.js';
import { engineSettings, serve, type ServeOptions } from './serve.js';
import type { WorkloadOptions } from './workload.js';

/*
 * A serving sweep: scenarios (prompt and output lengths) run at a list of
 * client concurrencies or request rates, one serving run per point, all on
 * one step cost model so the tables fill once. By default the four
 * scenarios of the K100-AI benchmark (seeds/002): short 64/64 at
 * concurrency 1–32, medium 256/256 at 1–64, long 1024/512 at 1–16 and a
 * stress test 128/128 at 1–512.
 */

export interface Scenario {
  readonly name: string;
  /** The workload of every point (its rate and request count are set per point). */
  readonly workload: WorkloadOptions;
  /** Points: client concurrencies (requests sent at once), or request rates. */
  readonly concurrencies?: readonly number[] | undefined;
  readonly rates?: readonly number[] | undefined;
}

/** Powers of two from 1 to `max`. */
export function powersOfTwo(max: number): number[] {
  const out: number[] = [];
  for (let n = 1; n <= max; n *= 2) out.push(n);
  return out;
}

const fixed = (input: number, output: number): WorkloadOptions => ({ datasetName: 'random', randomInputLen: input, randomOutputLen: output, randomRangeRatio: 0 });

export const K100_AI_SCENARIOS: readonly Scenario[] = [
  { name: 'short 64/64', workload: fixed(64, 64), concurrencies: powersOfTwo(32) },
  { name: 'medium 256/256', workload: fixed(256, 256), concurrencies: powersOfTwo(64) },
  { name: 'long 1024/512', workload: fixed(1024, 512), concurrencies: powersOfTwo(16) },
  { name: 'stress 128/128', workload: fixed(128, 128), concurrencies: powersOfTwo(512) },
];

export interface BenchPoint {
  readonly scenario: string;
  readonly maxConcurrency: number | undefined;
  readonly requestRate: number;
  /** The run's result fields (vLLM's and ours), without the per-request arrays. */
  readonly result: BenchPointResult;
  readonly requests: readonly RequestRecord[];
}

export interface BenchOptions {
  readonly hardware: Hardware;
  readonly model: Model;
  readonly scenarios: readonly Scenario[];
  /** Engine settings shared by every point. */
  readonly settings?: Omit<ServeOptions, 'hardware' | 'model' | 'workload' | 'maxConcurrency' | 'costs' | 'onProgress' | 'onStep'> | undefined;
  /** Requests per point; default four per client at a concurrency (at least 32), 200 at a rate. */
  readonly numPrompts?: number | undefined;
  readonly cache?: ContentCache | undefined;
  readonly onPoint?: ((done: number, total: number, point: BenchPoint) => void) | undefined;
}

/** A run's result without `vllm bench serve`'s per-request arrays (the requests are beside it). */
export type BenchPointResult = Omit<ServingResult, keyof VllmPerRequestFields>;

const PER_REQUEST: ReadonlyArray<keyof VllmPerRequestFields> = ['input_lens', 'output_lens', 'ttfts', 'itls', 'latencies', 'start_times', 'errors'];

function withoutPerRequest(result: ServingResult): BenchPointResult {
  return Object.fromEntries(Object.entries(result).filter(([key]) => !(PER_REQUEST as readonly string[]).includes(key))) as BenchPointResult;
}

export function benchServing(options: BenchOptions): BenchPoint[] {
  const parallel = options.settings?.parallel;
  const engine = engineSettings({ hardware: options.hardware, ...options.settings }, tokenLimit(options.model, compileTarget(options.hardware)).tokens);
  const costs: StepCostModel = createParallelStepCostModel({ ...parallel, layout: parallel?.layout ?? SINGLE_CARD, hardware: options.hardware, model: options.model, cache: options.cache, maxBatchedTokens: engine.maxNumBatchedTokens });
  const plan = options.scenarios.flatMap((scenario) => [
    ...(scenario.concurrencies ?? []).map((concurrency) => ({ scenario, concurrency, rate: Infinity })),
    ...(scenario.rates ?? []).map((rate) => ({ scenario, concurrency: undefined, rate })),
  ]);
  return plan.map((p, index) => {
    const numPrompts = options.numPrompts ?? (p.concurrency === undefined ? 200 : Math.max(32, 4 * p.concurrency));
    const { result, requests } = serve({
      ...options.settings,
      hardware: options.hardware,
      model: options.model,
      workload: { ...p.scenario.workload, numPrompts, requestRate: p.rate },
      maxConcurrency: p.concurrency,
      costs,
    });
    const point = { scenario: p.scenario.name, maxConcurrency: p.concurrency, requestRate: p.rate, result: withoutPerRequest(result), requests };
    options.onPoint?.(index + 1, plan.length, point);
    return point;
  });
}
