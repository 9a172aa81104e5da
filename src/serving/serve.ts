import type { BatchShape } from '../batch.js';
import { backendFor, compileTarget } from '../backends/index.js';
import { tokenLimit, type TokenLimit } from '../compiler/index.js';
import type { StepCost, StepCostModel } from '../cost/index.js';
import { createParallelStepCostModel, SINGLE_CARD, type ParallelOptions } from '../parallel/index.js';
import { UserError, type Issue } from '../errors.js';
import type { Hardware } from '../backends/index.js';
import type { Model } from '../model/index.js';
import type { ContentCache } from '../util/cache.js';
import { SERVING_DEFAULTS } from './defaults.js';
import { MAX_KV_BLOCKS, MAX_REQUESTS_PER_RUN, MAX_SERVING_TIME_MS } from './limits.js';
import { KvBlockManager } from './kv-cache.js';
import { runLoop, type StepRecord } from './loop.js';
import { createPolicy, type BatchPolicy, type PolicyName } from './policies.js';
import type { RequestSpec } from './request.js';
import { createRouter, type ReplicaRouter, type RouterName } from './router.js';
import type { ServingResult, VllmRunSettings } from './result.js';
import type { Sequence } from './sequence.js';
import { recordOf, servingResult, type GoodputObjectives, type RequestRecord } from './collector.js';
import { generateRequests, WORKLOAD_DEFAULTS, type WorkloadOptions } from './workload.js';

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
  /** A policy by name (default `vllm`), or one of your own. */
  readonly policy?: PolicyName | BatchPolicy | undefined;
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
  readonly goodput?: GoodputObjectives | undefined;
  /**
   * The cards the model runs on: tensor and pipeline parallelism within a
   * replica (its steps costed over the board's interconnect), and data
   * parallelism as replicas behind `router`. Default one card.
   */
  readonly parallel?: ParallelOptions | undefined;
  /** Sends each request to a replica (data parallelism): by name, or your own; default least-loaded. */
  readonly router?: RouterName | ReplicaRouter | undefined;
  /** A step cost model to reuse (several runs on one board and model); it must be the one of `parallel`'s layout. */
  readonly costs?: StepCostModel | undefined;
  /** Where step-cost tables persist between runs. */
  readonly cache?: ContentCache | undefined;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  readonly onStep?: ((step: StepRecord) => void) | undefined;
}

export interface ServeResult {
  /** `vllm bench serve`'s result fields, then ours. */
  readonly result: ServingResult;
  readonly requests: readonly RequestRecord[];
}

export function serve(options: ServeOptions): ServeResult {
  const requests = 'requests' in options.workload ? options.workload.requests : generateRequests(options.workload);
  const layout = options.parallel?.layout ?? SINGLE_CARD;
  const target = compileTarget(options.hardware);
  const limit = tokenLimit(options.model, target);
  const engine = engineSettings(options, limit.tokens);
  const costs = options.costs ?? createParallelStepCostModel({ ...options.parallel, layout, hardware: options.hardware, model: options.model, cache: options.cache, maxBatchedTokens: engine.maxNumBatchedTokens });
  const policy = policyOf(options, { engine, padTokens: target.padTokens, maxTokens: limit.tokens });
  const prefixCaching = (options.policy === undefined || options.policy === 'vllm') && engine.enablePrefixCaching;
  const caches = Array.from({ length: layout.dataParallelSize }, () => kvManager(options, costs, prefixCaching));
  const kv = caches[0]!;
  checkRequests(requests, { limit, kv });
  const served = new Array<number>(caches.length).fill(0);
  const router = caches.length === 1 ? undefined : countingRouter(typeof options.router === 'object' ? options.router : createRouter(options.router ?? 'least-loaded'), served);
  const records: RequestRecord[] = [];
  const onComplete = (sequence: Sequence) => {
    records.push(recordOf(sequence));
    options.onProgress?.(records.length, requests.length);
  };
  const replicas = router === undefined ? undefined : { kv: caches, router };
  const totals = runLoop({ requests, policy, kv, replicas, cost: stepCosts(costs, options.exact === true), maxConcurrency: options.maxConcurrency ?? Infinity, onComplete, onStep: options.onStep });
  costs.flush();
  records.sort((a, b) => a.id - b.id);
  const percentiles = options.percentiles ?? SERVING_DEFAULTS.percentiles;
  const result = servingResult({ hardware: options.hardware, model: options.model, policy: policy.name, records, totals, kv, percentiles, goodput: options.goodput, layout, replicas: router === undefined ? undefined : { kv: caches, router: router.name, requests: served }, run: runSettings(options, requests.length) });
  return { result, requests: records };
}

/** The router, counting the requests it sends to each replica. */
function countingRouter(router: ReplicaRouter, served: number[]): ReplicaRouter {
  return {
    name: router.name,
    route: (request, replicas) => {
      const chosen = router.route(request, replicas);
      if (served[chosen] !== undefined) served[chosen]++;
      return chosen;
    },
  };
}

/** What `vllm bench serve` records of how it sent the requests; requests given as they are count as sent at once. */
function runSettings(options: ServeOptions, requests: number): VllmRunSettings {
  const workload: Partial<WorkloadOptions> = 'requests' in options.workload ? {} : options.workload;
  const rate = workload.requestRate ?? WORKLOAD_DEFAULTS.requestRate;
  return { num_prompts: requests, request_rate: rate === Infinity ? 'inf' : rate, burstiness: workload.burstiness ?? WORKLOAD_DEFAULTS.burstiness, max_concurrency: options.maxConcurrency ?? null };
}

/** The policy asked for: one given as an object as it is, else the named one with the run's settings. */
function policyOf(options: ServeOptions, board: { engine: EngineSettings; padTokens: { prefill: number; decode: number }; maxTokens: number }): BatchPolicy {
  if (typeof options.policy === 'object') return options.policy;
  return createPolicy(options.policy ?? SERVING_DEFAULTS.policy, {
    maxNumSeqs: board.engine.maxNumSeqs,
    maxNumBatchedTokens: board.engine.maxNumBatchedTokens,
    enableChunkedPrefill: board.engine.enableChunkedPrefill,
    guaranteeNoEvict: backendFor(options.hardware).servingDefaults?.(options.hardware)?.guaranteeNoEvict,
    padTokens: board.padTokens,
    maxTokens: board.maxTokens,
  });
}

/**
 * The serving engine's limits: the options given, else the board's software
 * stack's defaults (`--stack`), else vLLM's.
 */
export function engineSettings(options: Pick<ServeOptions, 'hardware' | 'maxNumSeqs' | 'maxNumBatchedTokens' | 'enableChunkedPrefill' | 'enablePrefixCaching'>, maxTokens: number): EngineSettings {
  const stack = backendFor(options.hardware).servingDefaults?.(options.hardware);
  const budget = stack?.maxNumBatchedTokens === 'max-model-len' ? Math.max(maxTokens, SERVING_DEFAULTS.maxNumBatchedTokens) : stack?.maxNumBatchedTokens;
  return {
    maxNumSeqs: options.maxNumSeqs ?? stack?.maxNumSeqs ?? SERVING_DEFAULTS.maxNumSeqs,
    maxNumBatchedTokens: options.maxNumBatchedTokens ?? budget ?? SERVING_DEFAULTS.maxNumBatchedTokens,
    enableChunkedPrefill: options.enableChunkedPrefill ?? stack?.enableChunkedPrefill ?? SERVING_DEFAULTS.enableChunkedPrefill,
    enablePrefixCaching: options.enablePrefixCaching ?? stack?.enablePrefixCaching ?? SERVING_DEFAULTS.enablePrefixCaching,
  };
}

/** The serving engine's limits a run takes. */
export interface EngineSettings {
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  readonly enableChunkedPrefill: boolean;
  readonly enablePrefixCaching: boolean;
}

/** KV blocks: what memory leaves (planMemory), in blocks of --block-size tokens, or --num-gpu-blocks-override. */
function kvManager(options: ServeOptions, costs: StepCostModel, prefixCaching: boolean): KvBlockManager {
  const blockTokens = options.blockSize ?? costs.capacity.blockTokens;
  const blocks = options.numGpuBlocksOverride ?? Math.floor(costs.capacity.freeBytes / (blockTokens * costs.capacity.bytesPerToken));
  const issues: Issue[] = [];
  if (!Number.isInteger(blockTokens) || blockTokens < 1) issues.push({ path: '--block-size', message: `expected a positive whole number of tokens, got ${blockTokens}` });
  if (!Number.isInteger(blocks) || blocks < 1) issues.push({ path: '--num-gpu-blocks-override', message: `expected a positive whole number of blocks, got ${blocks}` });
  else if (blocks > MAX_KV_BLOCKS) {
    const given = options.numGpuBlocksOverride === undefined ? `the board's free memory holds ${blocks} blocks of ${blockTokens} tokens` : `${blocks} blocks`;
    issues.push({ path: '--num-gpu-blocks-override', message: `${given}: at most ${MAX_KV_BLOCKS.toLocaleString('en-US')} are kept (MAX_KV_BLOCKS)` });
  }
  if (issues.length > 0) throw new UserError({ what: 'invalid KV cache', issues });
  return new KvBlockManager({ blocks, blockTokens, prefixCaching });
}

/** Every request must fit the longest sequence (the model's context or the board's limit, named) and, alone, the KV cache. */
function checkRequests(requests: readonly RequestSpec[], limits: { limit: TokenLimit; kv: KvBlockManager }): void {
  if (requests.length > MAX_REQUESTS_PER_RUN) throw new UserError({ what: `${requests.length} requests: at most ${MAX_REQUESTS_PER_RUN.toLocaleString('en-US')} are served in one run (MAX_REQUESTS_PER_RUN)` });
  for (const r of requests) {
    const where = r.origin ?? `request ${r.id}`;
    if (!(r.arrivalMs >= 0 && r.arrivalMs <= MAX_SERVING_TIME_MS)) throw new UserError({ what: `${where}: sent at ${r.arrivalMs} ms: expected a time from 0 to ${MAX_SERVING_TIME_MS} ms (MAX_SERVING_TIME_MS), within which the clock resolves a microsecond` });
    const tokens = r.promptTokens + r.outputTokens;
    if (tokens > limits.limit.tokens) throw new UserError({ what: `${where}: ${r.promptTokens} prompt + ${r.outputTokens} output tokens = ${tokens} exceeds ${limits.limit.owner}` });
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
