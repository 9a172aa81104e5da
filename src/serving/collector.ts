import type { Hardware } from '../backends/index.js';
import type { StepCost } from '../cost/index.js';
import { energyReport, idleJoules, tokensPerDollar } from '../energy/index.js';
import { formatExpertLoad, modelDims, type Model } from '../model/index.js';
import { isMultiCard, layoutIdleJoules, layoutTokensPerDollar, parallelLayout, SINGLE_CARD, totalCards, type ParallelLayout } from '../parallel/index.js';
import type { KvBlockManager } from './kv-cache.js';
import { mean, Samples, summary } from './metrics.js';
import type { EnergyFields, ExpertFields, ParallelServingFields, ServingResult, SimulatorFields, VllmRunSettings } from './result.js';
import type { Sequence } from './sequence.js';

/*
 * A serving run's metrics, one owner: the totals the run accumulates as it
 * goes, fed by the event loop at each event (a request enters or leaves the
 * system, time advances, a step runs), and what is derived from them and the
 * request records at the end (servingResult). metrics.ts holds the
 * statistics (percentiles, means) both use.
 */

export interface LoopTotals {
  /** When the last request completed, ms. */
  readonly durationMs: number;
  /** The time integral of requests in the system (sent, not completed), request·ms. */
  readonly requestMs: number;
  readonly steps: number;
  /** The most requests in the system at once. */
  readonly peakConcurrency: number;
  /** Time integral and peak of KV blocks held. */
  readonly kvBlockMs: number;
  readonly peakKvBlocks: number;
  /** Busy time of each module and the bound, summed over steps. */
  readonly busyMs: Readonly<Record<string, number>>;
  readonly boundMs: number;
  /** Time steps ran, ms (the rest of the duration the board idles). */
  readonly stepMs: number;
  /** Energy of the steps, J; undefined where the board describes no energy. */
  readonly stepJoules: number | undefined;
  /** A mixture of experts: steps that ran routed experts, and the experts per sparse layer they ran, summed. */
  readonly expertSteps: number;
  readonly activeExperts: number;
}

export class MetricsCollector {
  private inSystem = 0;
  private requestMs = 0;
  private steps = 0;
  private peakConcurrency = 0;
  private kvBlockMs = 0;
  private peakKvBlocks = 0;
  private boundMs = 0;
  private readonly busyMs: Record<string, number> = {};
  private stepMs = 0;
  private stepJoules: number | undefined;
  private expertSteps = 0;
  private activeExperts = 0;

  /** Time moves on from `fromMs` to `toMs` with the same requests in the system. */
  elapse(fromMs: number, toMs: number): void {
    this.requestMs += this.inSystem * (toMs - fromMs);
  }

  /** A request sent at `sentMs` enters the system, noticed at `nowMs` (it has been in the system since it was sent). */
  enter(sentMs: number, nowMs: number): void {
    this.requestMs += nowMs - sentMs;
    this.inSystem++;
    this.peakConcurrency = Math.max(this.peakConcurrency, this.inSystem);
  }

  leave(): void {
    this.inSystem--;
  }

  /** A step ran with `kvBlocksUsed` blocks held. */
  step(cost: StepCost, kvBlocksUsed: number): void {
    this.kvBlockMs += kvBlocksUsed * cost.totalMs;
    this.peakKvBlocks = Math.max(this.peakKvBlocks, kvBlocksUsed);
    this.boundMs += cost.boundMs;
    this.stepMs += cost.totalMs;
    if (cost.energy !== undefined) this.stepJoules = (this.stepJoules ?? 0) + cost.energy.joules;
    for (const [name, busy] of Object.entries(cost.modules)) this.busyMs[name] = (this.busyMs[name] ?? 0) + busy;
    if (cost.experts !== undefined) {
      this.expertSteps++;
      this.activeExperts += cost.experts.activeExperts;
    }
    this.steps++;
  }

  totals(durationMs: number): LoopTotals {
    const { requestMs, steps, peakConcurrency, kvBlockMs, peakKvBlocks, busyMs, boundMs, stepMs, stepJoules, expertSteps, activeExperts } = this;
    return { durationMs, requestMs, steps, peakConcurrency, kvBlockMs, peakKvBlocks, busyMs: { ...busyMs }, boundMs, stepMs, stepJoules, expertSteps, activeExperts };
  }
}

/*
 * What a finished run reports, derived from its request records and the
 * collector's totals: `vllm bench serve`'s fields under its names and
 * definitions, then ours (result.ts types both).
 */

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

/** --goodput service-level objectives, ms. */
export interface GoodputObjectives {
  readonly ttft?: number | undefined;
  readonly tpot?: number | undefined;
  readonly e2el?: number | undefined;
}

/** Everything a run's result is derived from. */
export interface RunSummaryInput {
  readonly hardware: Hardware;
  readonly model: Model;
  readonly policy: string;
  readonly records: readonly RequestRecord[];
  readonly totals: LoopTotals;
  readonly kv: KvBlockManager;
  readonly percentiles: readonly number[];
  readonly goodput?: GoodputObjectives | undefined;
  /** The cards the model ran on; default one. */
  readonly layout?: ParallelLayout | undefined;
  /** Data parallelism: every replica's KV cache (the first is `kv`), the router's name and the requests each replica served. */
  readonly replicas?: { readonly kv: readonly KvBlockManager[]; readonly router: string; readonly requests: readonly number[] } | undefined;
  /** How the client sent the requests. */
  readonly run: VllmRunSettings;
}

/** A completed sequence as the client saw it. */
export function recordOf(sequence: Sequence): RequestRecord {
  const firstTokenMs = sequence.firstTokenMs!;
  const finishedMs = sequence.finishedMs!;
  const e2elMs = finishedMs - sequence.sentMs;
  const ttftMs = firstTokenMs - sequence.sentMs;
  return {
    id: sequence.spec.id,
    promptTokens: sequence.spec.promptTokens,
    outputTokens: sequence.generated,
    sentMs: sequence.sentMs,
    scheduledMs: sequence.scheduledMs!,
    firstTokenMs,
    finishedMs,
    ttftMs,
    tpotMs: sequence.generated > 1 ? (e2elMs - ttftMs) / (sequence.generated - 1) : 0,
    e2elMs,
    queueMs: sequence.scheduledMs! - sequence.sentMs,
    preemptions: sequence.preemptions,
    cachedTokens: sequence.cachedTokens,
    itlMs: sequence.itlMs,
  };
}

export function servingResult(run: RunSummaryInput): ServingResult {
  const { records, totals } = run;
  const seconds = totals.durationMs / 1000;
  const totalInput = records.reduce((sum, x) => sum + x.promptTokens, 0);
  const totalOutput = records.reduce((sum, x) => sum + x.outputTokens, 0);
  const percentiles = run.percentiles;
  const itls = new Samples();
  for (const x of records) for (const gap of x.itlMs) itls.push(gap);
  const meanE2elSeconds = mean(records.map((x) => x.e2elMs)) / 1000;
  return {
    ...run.run,
    duration: seconds,
    completed: records.length,
    failed: 0,
    total_input_tokens: totalInput,
    total_output_tokens: totalOutput,
    request_throughput: records.length / seconds,
    request_goodput: run.goodput === undefined ? null : goodput(records, run.goodput) / seconds,
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
    ...simulatorFields(run, { meanE2elSeconds }),
  };
}

/** What only a simulator sees, beside vLLM's fields. */
function simulatorFields(run: RunSummaryInput, derived: { meanE2elSeconds: number }): SimulatorFields {
  const { totals, kv } = run;
  const caches = run.replicas?.kv ?? [kv];
  // Replicas step at the same time: busy times, bounds and KV-block time add up over them.
  const replicas = caches.length;
  const queried = caches.reduce((sum, c) => sum + c.prefixStats.queriedTokens, 0);
  const hitTokens = caches.reduce((sum, c) => sum + c.prefixStats.hitTokens, 0);
  const layout = run.layout ?? SINGLE_CARD;
  return {
    hardware: run.hardware.name,
    model: run.model.displayName ?? run.model.name,
    policy: run.policy,
    steps: totals.steps,
    kv_cache_blocks: kv.blocks,
    kv_cache_block_tokens: kv.blockTokens,
    peak_kv_cache_usage: totals.peakKvBlocks / kv.blocks,
    mean_kv_cache_usage: totals.kvBlockMs / totals.durationMs / kv.blocks / replicas,
    prefix_cache_hit_rate: queried === 0 ? 0 : hitTokens / queried,
    preemptions: run.records.reduce((sum, x) => sum + x.preemptions, 0),
    mean_queue_ms: mean(run.records.map((x) => x.queueMs)),
    module_busy_share: Object.fromEntries(Object.entries(totals.busyMs).map(([name, busy]) => [name, busy / totals.durationMs / replicas])),
    bound_ms: totals.boundMs,
    percent_of_bound: (totals.boundMs / replicas / totals.durationMs) * 100,
    mean_requests_in_system: totals.requestMs / totals.durationMs,
    littles_law_requests: (run.records.length / (totals.durationMs / 1000)) * derived.meanE2elSeconds,
    ...energyFields(run.hardware, { totals, records: run.records, layout }),
    ...expertFields(run.model, totals),
    ...(isMultiCard(layout) || replicas > 1 ? { parallel: parallelFields(layout, run.replicas) } : {}),
  };
}

function parallelFields(layout: ParallelLayout, replicas: RunSummaryInput['replicas']): ParallelServingFields {
  return {
    tensor_parallel_size: layout.tensorParallelSize,
    pipeline_parallel_size: layout.pipelineParallelSize,
    data_parallel_size: layout.dataParallelSize,
    cards: totalCards(layout),
    router: replicas?.router ?? null,
    replica_requests: replicas?.requests ?? [],
  };
}

/** A mixture of experts' load assumption and the experts its steps ran on average; nothing for a dense model. */
function expertFields(model: Model, totals: LoopTotals): ExpertFields | Record<string, never> {
  const experts = modelDims(model).experts;
  if (experts === undefined) return {};
  return { expert_load: formatExpertLoad(experts.load), routed_experts: experts.routed, mean_active_experts_per_layer: totals.expertSteps === 0 ? 0 : totals.activeExperts / totals.expertSteps };
}

/** Energy of the run (steps, and idle power between them) and what it buys; null where the board describes no energy or price. */
function energyFields(hw: Hardware, run: { totals: LoopTotals; records: readonly RequestRecord[]; layout: ParallelLayout }): EnergyFields {
  const single = totalCards(run.layout) === 1;
  // Every replica idles whenever it runs no step; each step's energy already counts its replica's cards.
  const replica = parallelLayout({ ...run.layout, dataParallelSize: 1 });
  const idle = single ? idleJoules(hw, Math.max(0, run.totals.durationMs - run.totals.stepMs)) : layoutIdleJoules(hw, replica, Math.max(0, run.layout.dataParallelSize * run.totals.durationMs - run.totals.stepMs));
  const joules = run.totals.stepJoules === undefined || idle === undefined ? undefined : run.totals.stepJoules + idle;
  const outputTokens = run.records.reduce((sum, x) => sum + x.outputTokens, 0);
  const seconds = run.totals.durationMs / 1000;
  const report = joules === undefined ? undefined : energyReport(joules, seconds, outputTokens);
  return {
    energy_joules: report?.joules ?? null,
    mean_power_watts: report?.averageWatts ?? null,
    output_tokens_per_joule: report?.tokensPerJoule ?? null,
    joules_per_request: joules === undefined ? null : joules / run.records.length,
    output_tokens_per_dollar: (single ? tokensPerDollar(hw, outputTokens / seconds) : layoutTokensPerDollar(hw, run.layout, outputTokens / seconds)) ?? null,
  };
}

/** Requests that met every objective given (a single output token's TPOT counts as 0, as vLLM counts it). */
function goodput(records: readonly RequestRecord[], slo: GoodputObjectives): number {
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
