import { loadHardware, type Hardware } from '../backends/index.js';
import { compileTarget } from '../backends/index.js';
import { tokenLimit } from '../compiler/index.js';
import type { StepCostModel } from '../cost/index.js';
import { idleJoules } from '../energy/index.js';
import { UserError } from '../errors.js';
import { loadModel, PrecisionSchema, type Model } from '../model/index.js';
import { createParallelStepCostModel, parallelLayout } from '../parallel/index.js';
import { engineSettings, generateRequests, serve, type ServeResult, type ServingResult, type StepRecord } from '../serving/index.js';
import type { ContentCache } from '../util/cache.js';
import type { Figure, ValidationCase } from './plan.js';

/*
 * Each planned case simulated as its benchmark ran: the requests served on
 * the board with its stack, the figure read from the run. Cases on the same
 * board, stack, model and precision share one step cost model, so its
 * tables fill once.
 */

/** A case with its simulated figure beside the measured one. */
export interface ValidationPoint {
  readonly case: ValidationCase;
  readonly measured: number;
  readonly simulated: number;
  /** (simulated − measured) / measured. */
  readonly error: number;
  /**
   * The figure at the physical bound of the simulated schedule (every step
   * at its bytes over peak bandwidth or operations over peak compute), where
   * the benchmark fixes the schedule (a static batch, requests one after
   * another) and the figure is the run's time or tokens over it; undefined
   * elsewhere.
   */
  readonly bound?: number | undefined;
  /** The measurement is better than `bound`: no simulation within the board's data-sheet peaks can match it. */
  readonly beyondBound: boolean;
}

/** A case the simulator refused (a static batch that does not fit, say), with the reason. */
export interface RefusedCase {
  readonly case: ValidationCase;
  readonly reason: string;
}

export interface RunOptions {
  readonly cache?: ContentCache | undefined;
  readonly onCase?: ((done: number, total: number, label: string) => void) | undefined;
}

/** Simulates every case; a refusal (UserError) is kept as data, anything else is our bug and thrown. */
export function simulateCases(cases: readonly ValidationCase[], options: RunOptions = {}): { points: ValidationPoint[]; refused: RefusedCase[] } {
  // Cases run grouped by setup (in the order each setup first appears), so each setup's tables are
  // filled once and dropped after its last case; they are reported in their own order.
  const firstSeen = new Map<string, number>();
  for (const c of cases) if (!firstSeen.has(setupKey(c))) firstSeen.set(setupKey(c), firstSeen.size);
  const order = cases.map((c, index) => ({ c, index, key: setupKey(c) })).sort((a, b) => firstSeen.get(a.key)! - firstSeen.get(b.key)! || a.index - b.index);
  const points: Array<ValidationPoint & { readonly index: number }> = [];
  const refused: Array<RefusedCase & { readonly index: number }> = [];
  let current: { readonly key: string; readonly setup: Setup } | undefined;
  order.forEach(({ c, index, key }, done) => {
    if (current?.key !== key) {
      current?.setup.costs.flush();
      current = undefined;
    }
    try {
      current ??= { key, setup: setupFor(c, options.cache) };
      const { setup } = current;
      const run = runCase(c, setup);
      const simulated = figureOf(c, run, setup.hardware);
      const bound = boundOf(c, run, simulated);
      const beyondBound = bound !== undefined && (HIGHER_IS_BETTER.has(c.figure) ? c.row.value > bound : c.row.value < bound);
      points.push({ index, case: c, measured: c.row.value, simulated, error: (simulated - c.row.value) / c.row.value, bound, beyondBound });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      refused.push({ index, case: c, reason: error.message });
    }
    options.onCase?.(done + 1, cases.length, c.row.id);
  });
  current?.setup.costs.flush();
  const inOrder = <T extends { readonly index: number }>(items: T[]) => items.sort((a, b) => a.index - b.index).map(({ index: _index, ...rest }) => rest);
  return { points: inOrder(points), refused: inOrder(refused) };
}

interface Setup {
  readonly hardware: Hardware;
  readonly model: Model;
  readonly costs: StepCostModel;
}

/** What cases that share a setup have in common: board, stack, model, precision, layout and overrides. */
function setupKey(c: ValidationCase): string {
  return JSON.stringify([c.board, c.stack ?? '', c.model, c.precision ?? '', c.layout, Object.entries(c.overrides ?? {})]);
}

/** The board, model and cards a case runs on; one card is the single-card step cost model itself (createParallelStepCostModel returns it). */
function setupFor(c: ValidationCase, cache: ContentCache | undefined): Setup {
  const hardware = loadHardware(c.board, { cache, stack: c.stack, overrides: c.overrides });
  const model = withCasePrecision(loadModel(c.model).model, c);
  const budget = engineSettings({ hardware }, tokenLimit(model, compileTarget(hardware)).tokens).maxNumBatchedTokens;
  const layout = parallelLayout({ tensorParallelSize: c.layout.tensorParallelSize, pipelineParallelSize: c.layout.pipelineParallelSize });
  const costs = createParallelStepCostModel({ hardware, model, cache, maxBatchedTokens: budget, layout, shardVocabulary: c.layout.shardVocabulary });
  return { hardware, model, costs };
}

function withCasePrecision(model: Model, c: ValidationCase): Model {
  if (c.precision === undefined) return model;
  return { ...model, mapping: { ...model.mapping, precision: PrecisionSchema.parse(c.precision) } };
}

function runCase(c: ValidationCase, setup: Setup, onStep?: (step: StepRecord) => void): ServeResult {
  const w = c.workload;
  const requests = generateRequests({ datasetName: 'random', numPrompts: w.requests, randomInputLen: w.inputLen, randomOutputLen: w.outputLen, randomRangeRatio: 0, requestRate: w.requestRate, seed: 0 });
  return serve({ hardware: setup.hardware, model: setup.model, costs: setup.costs, workload: { requests }, policy: w.policy, maxNumSeqs: w.maxNumSeqs, maxConcurrency: w.concurrency, onStep });
}

/** One case's run as the steps it took, on the board and model it ran on (fitting replays them). */
export function runCaseSteps(c: ValidationCase, cache?: ContentCache): { hardware: Hardware; model: Model; steps: StepRecord[]; outputTokens: number; seconds: number; joules: number } {
  const setup = setupFor(c, cache);
  const steps: StepRecord[] = [];
  const run = runCase(c, setup, (step) => steps.push(step));
  setup.costs.flush();
  const r = run.result;
  return { hardware: setup.hardware, model: setup.model, steps, outputTokens: r.total_output_tokens, seconds: r.duration, joules: r.energy_joules ?? 0 };
}

/** The figure the case's measurement is, read from the run (result fields as `vllm bench serve` names them). */
function figureOf(c: ValidationCase, run: ServeResult, hardware: Hardware): number {
  const r = run.result;
  const first = run.requests[0]!;
  const seconds = r.duration;
  const by: Record<Figure, () => number> = {
    e2e_s: () => seconds,
    e2e_ms: () => seconds * 1000,
    ttft_ms: () => first.ttftMs,
    tokens_per_s: () => first.outputTokens / (first.e2elMs / 1000),
    decode_tokens_per_s: () => (first.outputTokens - 1) / ((first.e2elMs - first.ttftMs) / 1000),
    output_tokens_per_s: () => r.output_throughput,
    output_tokens_per_s_per_gpu: () => r.output_throughput / c.layout.cards,
    mean_ttft_ms: () => r.mean_ttft_ms,
    median_tpot_ms: () => r.median_tpot_ms,
    mean_itl_ms: () => r.mean_itl_ms,
    power_w: () => powerWithTail(r, hardware, c),
  };
  return by[c.figure]();
}

/** Figures where more is better (rates); the others are times. */
const HIGHER_IS_BETTER: ReadonlySet<Figure> = new Set(['tokens_per_s', 'output_tokens_per_s', 'output_tokens_per_s_per_gpu']);

/** Figures that are the run's whole time, or its tokens over that time. */
const RUN_TIME_FIGURES: ReadonlySet<Figure> = new Set(['e2e_s', 'e2e_ms', 'tokens_per_s', 'output_tokens_per_s', 'output_tokens_per_s_per_gpu']);

/**
 * The case's figure with every step at its physical bound: the simulated
 * figure rescaled from the run's time to the steps' bound, for run-time
 * figures where the schedule does not depend on how fast the steps are (a
 * static batch, or requests served one after another, all sent at once).
 */
function boundOf(c: ValidationCase, run: ServeResult, simulated: number): number | undefined {
  const fixedSchedule = (c.workload.policy === 'static' || c.workload.policy === 'sequential') && c.workload.requestRate === Infinity;
  if (!fixedSchedule || !RUN_TIME_FIGURES.has(c.figure) || (c.figure === 'tokens_per_s' && c.workload.requests !== 1)) return undefined;
  const ratio = run.result.bound_ms / 1000 / run.result.duration;
  const value = HIGHER_IS_BETTER.has(c.figure) ? simulated / ratio : simulated * ratio;
  return Number.isFinite(value) ? value : undefined;
}

/** Mean power over the run and an idle tail after it, as a probe that keeps sampling after the run sees it; every card of the run counted. */
function powerWithTail(r: ServingResult, hardware: Hardware, c: ValidationCase): number {
  const tailSeconds = c.idleTailSeconds;
  const joules = r.energy_joules;
  const idle = idleJoules(hardware, tailSeconds * 1000);
  const tail = idle === undefined ? undefined : idle * c.layout.cards;
  if (joules === null || tail === undefined) throw new UserError({ what: `${hardware.name} describes no energy: its power cannot be compared` });
  return (joules + tail) / (r.duration + tailSeconds);
}
