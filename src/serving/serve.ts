import type { BatchShape } from '../batch.js';
import { compileTarget } from '../backends/index.js';
import { maxTokensOf } from '../compiler/index.js';
import { createStepCostModel, type StepCost, type StepCostModel } from '../cost/index.js';
import { UserError, type Issue } from '../errors.js';
import type { Hardware } from '../backends/index.js';
import type { Model } from '../model/index.js';
import type { ContentCache } from '../util/cache.js';
import { energyReport, idleJoules, tokensPerDollar } from '../energy/index.js';
import { KvBlockManager } from './kv-cache.js';
import { runLoop, type LoopTotals, type StepRecord } from './loop.js';
import { mean, Samples, summary } from './metrics.js';
import { createPolicy, type PolicyName } from './policies.js';
import type { RequestSpec } from './request.js';
import type { Sequence } from './sequence.js';
import { generateRequests, type WorkloadOptions } from './workload.js';

/*
 * One serving run: a workload of requests served by a policy on a board,
 * every step costed by the step cost model, reported as `vllm bench serve`
 * reports a measured run, plus what only a simulator sees (KV-cache use,
 * prefix-cache hits, preemptions, module busy shares, the bound).
 */

export interface ServeOptions {
  readonly hardware: Hardware;
  readonly model: Model;
  /** A workload to generate, or requests already made. */
  readonly workload: WorkloadOptions | { readonly requests: readonly RequestSpec[] };
  readonly policy?: PolicyName | undefined;
  /** vLLM's --max-num-seqs (default 256). */
  readonly maxNumSeqs?: number | undefined;
  /** vLLM's --max-num-batched-tokens (default 2048). */
  readonly maxNumBatchedTokens?: number | undefined;
  /** vLLM's --enable-chunked-prefill (default on). */
  readonly enableChunkedPrefill?: boolean | undefined;
  /** vLLM's --enable-prefix-caching (default on; the vllm policy only). */
  readonly enablePrefixCaching?: boolean | undefined;
  /** vLLM's --block-size: tokens per KV block (default the board's kvCache.blockTokens). */
  readonly blockSize?: number | undefined;
  /** vLLM's --num-gpu-blocks-override: KV blocks instead of what memory holds. */
  readonly numGpuBlocksOverride?: number | undefined;
  /** vllm bench serve's --max-concurrency: requests in flight at most. */
  readonly maxConcurrency?: number | undefined;
  /** Cost every step by simulating it whole instead of the fast path. */
  readonly exact?: boolean | undefined;
  /** --metric-percentiles (default 50, 90, 99). */
  readonly percentiles?: readonly number[] | undefined;
  /** --goodput service-level objectives, ms. */
  readonly goodput?: { readonly ttft?: number; readonly tpot?: number; readonly e2el?: number } | undefined;
  /** A step cost model to reuse (several runs on one board and model). */
  readonly costs?: StepCostModel | undefined;
  /** Where step-cost tables persist between runs. */
  readonly cache?: ContentCache | undefined;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  readonly onStep?: ((step: StepRecord) => void) | undefined;
}

/** One request as the client saw it (times in ms from the start of the run). */
export interface RequestRecord {
  readonly id: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
  readonly sentMs: number;
  readonly scheduledMs: number;
  readonly firstTokenMs: number;
  readonly finishedMs: number;
  readonly ttftMs: number;
  /** (E2E − TTFT) / (output − 1); 0 for a single output token. */
  readonly tpotMs: number;
  readonly e2elMs: number;
  /** Time in the server's queue before it was first scheduled. */
  readonly queueMs: number;
  readonly preemptions: number;
  /** Prompt tokens served from the prefix cache. */
  readonly cachedTokens: number;
  /** Gaps between its tokens, ms. */
  readonly itlMs: readonly number[];
}

export interface ServeResult {
  /** `vllm bench serve`'s result fields, then ours. */
  readonly result: Record<string, unknown>;
  readonly requests: readonly RequestRecord[];
}

const DEFAULTS = { policy: 'vllm', maxNumSeqs: 256, maxNumBatchedTokens: 2048, enableChunkedPrefill: true, enablePrefixCaching: true, percentiles: [50, 90, 99] } as const;

export function serve(options: ServeOptions): ServeResult {
  const policyName = options.policy ?? DEFAULTS.policy;
  const requests = 'requests' in options.workload ? options.workload.requests : generateRequests(options.workload);
  const costs = options.costs ?? createStepCostModel({ hardware: options.hardware, model: options.model, cache: options.cache, maxBatchedTokens: options.maxNumBatchedTokens ?? DEFAULTS.maxNumBatchedTokens });
  const kv = kvManager(options, costs, policyName === 'vllm' && (options.enablePrefixCaching ?? DEFAULTS.enablePrefixCaching));
  checkRequests(requests, { maxTokens: maxTokensOf(options.model, compileTarget(options.hardware)), kv });
  const policy = createPolicy(policyName, {
    maxNumSeqs: options.maxNumSeqs ?? DEFAULTS.maxNumSeqs,
    maxNumBatchedTokens: options.maxNumBatchedTokens ?? DEFAULTS.maxNumBatchedTokens,
    enableChunkedPrefill: options.enableChunkedPrefill ?? DEFAULTS.enableChunkedPrefill,
    padTokens: compileTarget(options.hardware).padTokens,
    maxTokens: maxTokensOf(options.model, compileTarget(options.hardware)),
  });
  const records: RequestRecord[] = [];
  const onComplete = (sequence: Sequence) => {
    records.push(recordOf(sequence));
    options.onProgress?.(records.length, requests.length);
  };
  const totals = runLoop({ requests, policy, kv, cost: stepCosts(costs, options.exact === true), maxConcurrency: options.maxConcurrency ?? Infinity, onComplete, onStep: options.onStep });
  costs.flush();
  records.sort((a, b) => a.id - b.id);
  return { result: resultOf({ options, policy: policyName, records, totals, kv }), requests: records };
}

/** KV blocks: what memory leaves (planMemory), in blocks of --block-size tokens, or --num-gpu-blocks-override. */
function kvManager(options: ServeOptions, costs: StepCostModel, prefixCaching: boolean): KvBlockManager {
  const blockTokens = options.blockSize ?? costs.capacity.blockTokens;
  const blocks = options.numGpuBlocksOverride ?? Math.floor(costs.capacity.freeBytes / (blockTokens * costs.capacity.bytesPerToken));
  const issues: Issue[] = [];
  if (!Number.isInteger(blockTokens) || blockTokens < 1) issues.push({ path: '--block-size', message: `expected a positive whole number of tokens, got ${blockTokens}` });
  if (!Number.isInteger(blocks) || blocks < 1) issues.push({ path: '--num-gpu-blocks-override', message: `expected a positive whole number of blocks, got ${blocks}` });
  if (issues.length > 0) throw new UserError({ what: 'invalid KV cache', issues });
  return new KvBlockManager({ blocks, blockTokens, prefixCaching });
}

/** Every request must fit the model's longest sequence and, alone, the KV cache. */
function checkRequests(requests: readonly RequestSpec[], limits: { maxTokens: number; kv: KvBlockManager }): void {
  for (const r of requests) {
    const where = r.origin ?? `request ${r.id}`;
    const tokens = r.promptTokens + r.outputTokens;
    if (tokens > limits.maxTokens) throw new UserError({ what: `${where}: ${r.promptTokens} prompt + ${r.outputTokens} output tokens = ${tokens} exceeds the model's maximum of ${limits.maxTokens} tokens` });
    if (limits.kv.blocksFor(tokens) > limits.kv.blocks) throw new UserError({ what: `${where}: ${tokens} tokens need ${limits.kv.blocksFor(tokens)} KV blocks, but the cache holds ${limits.kv.blocks}` });
  }
}

/** The cost of a step by either path; exact costs kept per shape (a run repeats shapes). */
function stepCosts(costs: StepCostModel, exact: boolean): (batch: BatchShape) => StepCost {
  if (!exact) return (batch) => costs.fast(batch);
  const seen = new Map<string, StepCost>();
  return (batch) => {
    const key = batch.sequences.map((s) => `${s.newTokens}@${s.context}`).join(' ');
    let cost = seen.get(key);
    if (cost === undefined) {
      cost = costs.exact(batch);
      seen.set(key, cost);
    }
    return cost;
  };
}

function recordOf(s: Sequence): RequestRecord {
  const firstTokenMs = s.firstTokenMs!;
  const finishedMs = s.finishedMs!;
  const e2elMs = finishedMs - s.sentMs;
  const ttftMs = firstTokenMs - s.sentMs;
  return {
    id: s.spec.id,
    promptTokens: s.spec.promptTokens,
    outputTokens: s.generated,
    sentMs: s.sentMs,
    scheduledMs: s.scheduledMs!,
    firstTokenMs,
    finishedMs,
    ttftMs,
    tpotMs: s.generated > 1 ? (e2elMs - ttftMs) / (s.generated - 1) : 0,
    e2elMs,
    queueMs: s.scheduledMs! - s.sentMs,
    preemptions: s.preemptions,
    cachedTokens: s.cachedTokens,
    itlMs: s.itlMs,
  };
}

function resultOf(r: { options: ServeOptions; policy: PolicyName; records: readonly RequestRecord[]; totals: LoopTotals; kv: KvBlockManager }): Record<string, unknown> {
  const { records, totals } = r;
  const seconds = totals.durationMs / 1000;
  const totalInput = records.reduce((sum, x) => sum + x.promptTokens, 0);
  const totalOutput = records.reduce((sum, x) => sum + x.outputTokens, 0);
  const percentiles = r.options.percentiles ?? DEFAULTS.percentiles;
  const itls = new Samples();
  for (const x of records) for (const gap of x.itlMs) itls.push(gap);
  const meanE2elSeconds = mean(records.map((x) => x.e2elMs)) / 1000;
  return {
    duration: seconds,
    completed: records.length,
    failed: 0,
    total_input_tokens: totalInput,
    total_output_tokens: totalOutput,
    request_throughput: records.length / seconds,
    request_goodput: r.options.goodput === undefined ? null : goodput(records, r.options.goodput) / seconds,
    output_throughput: totalOutput / seconds,
    total_token_throughput: (totalInput + totalOutput) / seconds,
    max_output_tokens_per_s: peakTokensPerSecond(records),
    max_concurrent_requests: totals.peakConcurrency,
    ...summary('ttft', records.map((x) => x.ttftMs), percentiles),
    ...summary('tpot', records.filter((x) => x.outputTokens > 1).map((x) => x.tpotMs), percentiles),
    ...summary('itl', itls.values(), percentiles),
    ...summary('e2el', records.map((x) => x.e2elMs), percentiles),
    input_lens: records.map((x) => x.promptTokens),
    output_lens: records.map((x) => x.outputTokens),
    ttfts: records.map((x) => x.ttftMs / 1000),
    itls: records.map((x) => x.itlMs.map((gap) => gap / 1000)),
    latencies: records.map((x) => x.e2elMs / 1000),
    start_times: records.map((x) => x.sentMs / 1000),
    errors: records.map(() => ''),
    ...simulatorFields(r, { meanE2elSeconds }),
  };
}

/** What only a simulator sees, beside vLLM's fields. */
function simulatorFields(r: { options: ServeOptions; policy: PolicyName; records: readonly RequestRecord[]; totals: LoopTotals; kv: KvBlockManager }, e: { meanE2elSeconds: number }): Record<string, unknown> {
  const { totals, kv } = r;
  const queried = kv.queriedTokens;
  return {
    hardware: r.options.hardware.name,
    model: r.options.model.displayName ?? r.options.model.name,
    policy: r.policy,
    steps: totals.steps,
    kv_cache_blocks: kv.blocks,
    kv_cache_block_tokens: kv.blockTokens,
    peak_kv_cache_usage: totals.peakKvBlocks / kv.blocks,
    mean_kv_cache_usage: totals.kvBlockMs / totals.durationMs / kv.blocks,
    prefix_cache_hit_rate: queried === 0 ? 0 : kv.hitTokens / queried,
    preemptions: r.records.reduce((sum, x) => sum + x.preemptions, 0),
    mean_queue_ms: mean(r.records.map((x) => x.queueMs)),
    module_busy_share: Object.fromEntries(Object.entries(totals.busyMs).map(([name, busy]) => [name, busy / totals.durationMs])),
    bound_ms: totals.boundMs,
    percent_of_bound: (totals.boundMs / totals.durationMs) * 100,
    mean_requests_in_system: totals.requestMs / totals.durationMs,
    littles_law_requests: (r.records.length / (totals.durationMs / 1000)) * e.meanE2elSeconds,
    ...energyFields(r.options.hardware, { totals, records: r.records }),
  };
}

/** Energy of the run (steps, and idle power between them) and what it buys; null where the board describes no energy or price. */
function energyFields(hw: Hardware, r: { totals: LoopTotals; records: readonly RequestRecord[] }): Record<string, number | null> {
  const idle = idleJoules(hw, Math.max(0, r.totals.durationMs - r.totals.stepMs));
  const joules = r.totals.stepJoules === undefined || idle === undefined ? undefined : r.totals.stepJoules + idle;
  const outputTokens = r.records.reduce((sum, x) => sum + x.outputTokens, 0);
  const seconds = r.totals.durationMs / 1000;
  const report = joules === undefined ? undefined : energyReport(joules, seconds, outputTokens);
  return {
    energy_joules: report?.joules ?? null,
    mean_power_watts: report?.averageWatts ?? null,
    output_tokens_per_joule: report?.tokensPerJoule ?? null,
    joules_per_request: joules === undefined ? null : joules / r.records.length,
    output_tokens_per_dollar: tokensPerDollar(hw, outputTokens / seconds) ?? null,
  };
}

/** Requests that met every objective given (a single output token's TPOT counts as 0, as vLLM counts it). */
function goodput(records: readonly RequestRecord[], slo: NonNullable<ServeOptions['goodput']>): number {
  return records.filter((x) => (slo.ttft === undefined || x.ttftMs <= slo.ttft) && (slo.tpot === undefined || x.tpotMs <= slo.tpot) && (slo.e2el === undefined || x.e2elMs <= slo.e2el)).length;
}

/** Most output tokens in any one-second bucket from the first send, as vLLM counts them. */
function peakTokensPerSecond(records: readonly RequestRecord[]): number {
  if (records.length === 0) return 0;
  const start = Math.min(...records.map((x) => x.sentMs));
  const buckets = new Map<number, number>();
  for (const x of records) {
    let at = x.firstTokenMs;
    const add = () => buckets.set(Math.floor((at - start) / 1000), (buckets.get(Math.floor((at - start) / 1000)) ?? 0) + 1);
    add();
    for (const gap of x.itlMs) {
      at += gap;
      add();
    }
  }
  return Math.max(...buckets.values());
}
