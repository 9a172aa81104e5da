import { decodeShape, prefillShape, type BatchShape } from '../batch.js';
import { compileTarget, type Hardware } from '../backends/index.js';
import type { StepCost } from '../cost/index.js';
import { UserError } from '../errors.js';
import { energyReport } from '../energy/index.js';
import type { Model } from '../model/index.js';
import { createParallelStepCostModel, layoutTokensPerDollar, type ParallelOptions } from '../parallel/index.js';
import type { ContentCache } from '../util/cache.js';
import { caseFigures, caseLabel, caseSum, lengthsNeeded, type Case, type Padding, type Stage } from './cases.js';
import { gpuFigures, type GpuProfile } from './gpu.js';
import type { CaseResult, ProfileResult } from './profile.js';

/*
 * Profiling cases on several cards: each step a case needs (its prefill, and
 * a decode at every length, padded as the board pads) is costed by the
 * multi-card step cost model, whose cards' parts are simulated exactly once
 * and kept in tables (src/cost/), and added up as on one card.
 */

export interface ParallelProfileOptions extends ParallelOptions {
  readonly hardware: Hardware;
  readonly model: Model;
  readonly cases: readonly Case[];
  /** Cost every token count as it is instead of padding like FlightLLM. */
  readonly exact?: boolean | undefined;
  readonly gpus?: readonly GpuProfile[] | undefined;
  readonly cache?: ContentCache | undefined;
}

export function profileParallelCases(options: ParallelProfileOptions): ProfileResult {
  const { hardware, model, cases } = options;
  const target = compileTarget(hardware);
  const padding: Padding = options.exact === true ? { prefill: 1, decode: 1 } : target.padTokens;
  const costs = createParallelStepCostModel({ ...options, hardware, model, cache: options.cache });
  for (const c of cases) if (c.prompt + c.generated > costs.maxTokens) throw new UserError({ what: `case ${caseLabel(c)}: prompt + generated = ${c.prompt + c.generated} tokens exceeds the maximum of ${costs.maxTokens}` });
  const steps = new Map<string, StepCost>();
  const stepAt = (batch: number, stage: Stage, tokens: number): StepCost => {
    const key = `${batch}|${stage}|${tokens}`;
    let cost = steps.get(key);
    if (cost === undefined) {
      const one = (stage === 'prefill' ? prefillShape(tokens) : decodeShape(tokens)).sequences[0]!;
      const shape: BatchShape = { sequences: Array.from({ length: batch }, () => one) };
      cost = costs.fast(shape);
      steps.set(key, cost);
    }
    return cost;
  };
  const results: CaseResult[] = cases.map((c) => {
    const at = (stage: Stage, tokens: number) => stepAt(c.batch, stage, tokens);
    return {
      case: c,
      device: caseFigures(c, (stage, tokens) => at(stage, tokens).totalMs, padding),
      energy: caseEnergy(c, at, { padding, options }),
      bound: caseFigures(c, (stage, tokens) => at(stage, tokens).boundMs, padding),
      gpu: Object.fromEntries((options.gpus ?? []).map((gpu) => [gpu.label, gpuFigures(gpu, c)])),
    };
  });
  costs.flush();
  const byBatch = figuresByBatch(cases, padding, stepAt);
  return { cases: results, latencies: byBatch[1]?.latencies ?? empty(), bounds: byBatch[1]?.bounds ?? empty(), byBatch, simulated: steps.size, reused: 0 };
}

function caseEnergy(c: Case, at: (stage: Stage, tokens: number) => StepCost, s: { padding: Padding; options: ParallelProfileOptions }): CaseResult['energy'] {
  if (s.options.hardware.energy === undefined) return undefined;
  const joules = caseSum(c, (stage, tokens) => at(stage, tokens).energy!.joules, s.padding);
  const time = caseSum(c, (stage, tokens) => at(stage, tokens).totalMs, s.padding);
  const total = joules.prefill + joules.decode;
  const tokens = c.generated * c.batch;
  const seconds = (time.prefill + time.decode) / 1000;
  return { ...energyReport(total, seconds, tokens), joulesPerRequest: total / c.batch, tokensPerDollar: layoutTokensPerDollar(s.options.hardware, s.options.layout, tokens / seconds) };
}

type ByStage = Record<Stage, Record<number, number>>;
const empty = (): ByStage => ({ prefill: {}, decode: {} });

function figuresByBatch(cases: readonly Case[], padding: Padding, stepAt: (batch: number, stage: Stage, tokens: number) => StepCost): Record<number, { latencies: ByStage; bounds: ByStage }> {
  const out: Record<number, { latencies: ByStage; bounds: ByStage }> = {};
  for (const batch of new Set(cases.map((c) => c.batch))) {
    const needed = lengthsNeeded(cases.filter((c) => c.batch === batch), padding);
    const entry = { latencies: empty(), bounds: empty() };
    for (const stage of ['prefill', 'decode'] as const) {
      for (const tokens of needed[stage]) {
        entry.latencies[stage][tokens] = stepAt(batch, stage, tokens).totalMs;
        entry.bounds[stage][tokens] = stepAt(batch, stage, tokens).boundMs;
      }
    }
    out[batch] = entry;
  }
  return out;
}
