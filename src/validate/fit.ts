import type { BatchShape } from '../batch.js';
import type { RooflineHardware } from '../backends/index.js';
import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { powerLimitedMs } from '../energy/index.js';
import { LINK_MODULE, parallelLayout, shardModel } from '../parallel/index.js';
import { calibrate, type Calibration, type Observation } from '../calibrate/index.js';
import { UsageError } from '../errors.js';
import type { StepRecord } from '../serving/index.js';
import type { ContentCache } from '../util/cache.js';
import { loadMeasurements } from './measurements.js';
import { planValidation, type ValidationCase } from './plan.js';
import { runCaseSteps } from './run.js';
import { splitOf } from './split.js';
import { availableHere } from './validate.js';

/*
 * Fitting a software stack to its own measurements: the fitted rows
 * (split.ts) that ran on the stack, each as the steps its simulation ran.
 * With every request sent at once a run's schedule does not depend on how
 * long steps take, so the steps are recorded once, with the stack's
 * starting values; the fit then moves the stack's parameters (launch and
 * host time, kernel efficiencies, dequantisation work) by least squares
 * over the relative errors (calibrate.ts), recomputing only kernel times.
 * Steps of the same shape are merged: a step's cost is affine in each
 * sequence's context, so steps alike but for their contexts cost, in sum,
 * as many steps at the mean contexts.
 */

export interface StackFitOptions {
  readonly files: readonly string[];
  readonly stack: string;
  readonly keys: readonly string[];
  readonly cache?: ContentCache | undefined;
}

export interface StackFit {
  readonly calibration: Calibration;
  /** The fitted rows' ids, in the calibration's order. */
  readonly ids: readonly string[];
  /**
   * Fitted rows that ran in pipeline stages, left out: the fit recomputes one
   * card's kernels with the collectives of a tensor-parallel group beside
   * them, not a pipeline's schedule of micro-batches, so it cannot say what
   * such a row would take (`validate` reports their error).
   */
  readonly leftOut: readonly string[];
}

export function fitStack(options: StackFitOptions): StackFit {
  const rows = options.files.flatMap((file) => loadMeasurements(file));
  const { cases } = planValidation(rows, availableHere(options.cache), splitOf);
  const timed = cases.filter((c) => c.stack === options.stack && c.fit && TIMED.has(c.figure));
  const fitted = timed.filter((c) => c.layout.pipelineParallelSize === 1);
  const leftOut = timed.filter((c) => c.layout.pipelineParallelSize > 1).map((c) => c.row.id);
  if (fitted.length === 0) throw new UsageError({ what: `no fitted row of a timed metric runs without pipeline stages on the stack ${options.stack}`, detail: 'split.ts says which rows are fitted.' });
  const observations = fitted.map((c) => observationOf(c, options.cache));
  const first = observations[0]!.on!;
  return { calibration: calibrate({ hardware: first.hardware, model: first.model, observations, keys: options.keys }), ids: fitted.map((c) => c.row.id), leftOut };
}

/** Figures that are a time, or a count over a time, of steps run back to back. */
const TIMED = new Set<ValidationCase['figure']>(['e2e_s', 'e2e_ms', 'ttft_ms', 'tokens_per_s', 'decode_tokens_per_s', 'output_tokens_per_s', 'output_tokens_per_s_per_gpu']);

/**
 * A case as the steps its simulation ran, on the card they ran on: on a
 * tensor-parallel group, one card's share of the model, its steps' kernels
 * refitted and their collectives kept as they were (no fitted parameter
 * moves the links), the power limit applying to each card's own energy.
 */
function observationOf(c: ValidationCase, cache: ContentCache | undefined): Observation {
  const { hardware, model: whole, steps, outputTokens } = runCaseSteps(c, cache);
  const cards = c.layout.tensorParallelSize;
  const model = cards === 1 ? whole : shardModel(whole, parallelLayout({ tensorParallelSize: cards }), { shardVocabulary: c.layout.shardVocabulary })[0]!.model;
  if (hardware.kind !== 'roofline') throw new UsageError({ what: `${c.row.id} runs on ${hardware.name}, which is not a GPU or ASIC` });
  const v = c.row.value;
  const timed: Record<string, { ms: number; steps: readonly StepRecord[] }> = {
    e2e_s: { ms: v * 1000, steps },
    e2e_ms: { ms: v, steps },
    ttft_ms: { ms: v, steps: steps.slice(0, 1) },
    tokens_per_s: { ms: (outputTokens / v) * 1000, steps },
    decode_tokens_per_s: { ms: ((outputTokens - 1) / v) * 1000, steps: steps.slice(1) },
    output_tokens_per_s: { ms: (outputTokens / v) * 1000, steps },
    output_tokens_per_s_per_gpu: { ms: (outputTokens / v) * 1000, steps },
  };
  const { ms, steps: counted } = timed[c.figure]!;
  const floors = counted.map((s) => powerLimitedMs(hardware, s.cost.dynamicJ / cards, s.cost.bound.limit));
  const links = counted.map((s) => s.cost.modules[LINK_MODULE] ?? 0);
  return { label: c.row.id, measuredMs: ms, terms: mergedSteps(counted.map((s) => s.batch), floors, links), on: { hardware: hardware as RooflineHardware, model } };
}

/**
 * Steps of one shape (the same new tokens per sequence) merged into one at
 * the mean contexts, weighted by their count; with each step's time at the
 * board's power limit (`floorsMs`, by index) and its links' time
 * (`fixedMs`), the group's mean of each.
 */
export function mergedSteps(batches: readonly BatchShape[], floorsMs?: readonly number[], fixedMs?: readonly number[]): Array<{ weight: number; batch: BatchShape; floorMs: number; fixedMs: number }> {
  const groups = new Map<string, { count: number; contexts: number[]; newTokens: number[]; floorMs: number; fixedMs: number }>();
  for (const [stepIndex, batch] of batches.entries()) {
    const sequences = [...batch.sequences].sort((a, b) => a.newTokens - b.newTokens || a.context - b.context);
    const key = sequences.map((s) => s.newTokens).join(',');
    const group = groups.get(key) ?? { count: 0, contexts: sequences.map(() => 0), newTokens: sequences.map((s) => s.newTokens), floorMs: 0, fixedMs: 0 };
    sequences.forEach((s, index) => (group.contexts[index]! += s.context));
    group.floorMs += floorsMs?.[stepIndex] ?? 0;
    group.fixedMs += fixedMs?.[stepIndex] ?? 0;
    group.count++;
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => ({ weight: g.count, floorMs: g.floorMs / g.count, fixedMs: g.fixedMs / g.count, batch: { sequences: g.newTokens.map((newTokens, index) => ({ newTokens, context: Math.round(g.contexts[index]! / g.count) })) } }));
}

export interface PowerFitOptions {
  readonly files: readonly string[];
  readonly board: string;
  readonly cache?: ContentCache | undefined;
}

/** A board's fitted energies per byte of weights and of KV cache and per multiply-accumulate, and each fitted row before and after. */
export interface PowerFit {
  readonly memoryPjPerByte: number;
  readonly kvCachePjPerByte: number;
  /** The factor the board's MAC energies (every type alike) were multiplied by. */
  readonly macScale: number;
  readonly rows: ReadonlyArray<{ readonly id: string; readonly measuredW: number; readonly beforeW: number; readonly afterW: number }>;
}

/**
 * A board's `energy.dynamic` (model: work) fitted to its fitted power rows
 * (split.ts): with the idle power the board file states, the energy per
 * byte of weights streamed, per byte of KV cache read, and a factor on its
 * MAC energies, that make the simulated mean power closest to the measured
 * one in relative error, the TDP cap of every step included. Each row is
 * run once per coefficient (the others zero) to split every step's energy
 * into its parts; the schedule, and so every step's time, does not depend
 * on energy.
 */
export function fitPower(options: PowerFitOptions): PowerFit {
  const rows = options.files.flatMap((file) => loadMeasurements(file));
  const { cases } = planValidation(rows, availableHere(options.cache), splitOf);
  const fitted = cases.filter((c) => c.board === options.board && c.fit && c.figure === 'power_w');
  if (fitted.length === 0) throw new UsageError({ what: `no fitted power row runs on ${options.board}`, detail: 'split.ts says which rows are fitted.' });
  const runs = fitted.map((c) => powerRunOf(c, options.cache));
  const start = runs[0]!.start;
  const result = levenbergMarquardt(
    { x: runs.map((_, index) => index), y: runs.map(() => 1) },
    ([a, kv, k]: number[]) => (index: number) => predictedWatts(runs[index]!, { a: a!, kv: kv!, k: k! }) / runs[index]!.measuredW,
    { initialValues: [start.a, start.kv, start.k], minValues: [0, 0, 0], maxValues: [2000, 2000, 200], gradientDifference: [0.01, 0.01, 0.001], centralDifference: true, damping: 1e-2, maxIterations: 200, errorTolerance: 1e-12 },
  );
  const [a, kv, k] = result.parameterValues as [number, number, number];
  return {
    memoryPjPerByte: a,
    kvCachePjPerByte: kv,
    macScale: k,
    rows: runs.map((run, index) => ({ id: fitted[index]!.row.id, measuredW: run.measuredW, beforeW: predictedWatts(run, start), afterW: predictedWatts(run, { a, kv, k }) })),
  };
}

/** A power row's run split into each step's time and the energy each coefficient buys in it. */
interface PowerRun {
  readonly measuredW: number;
  readonly idleW: number;
  readonly maxW: number;
  readonly seconds: number;
  readonly tailSeconds: number;
  readonly steps: ReadonlyArray<{ readonly seconds: number; readonly weightsJ: number; readonly kvJ: number; readonly macsJ: number }>;
  /** The board's own coefficients (MAC factor 1). */
  readonly start: { readonly a: number; readonly kv: number; readonly k: number };
}

function powerRunOf(c: ValidationCase, cache: ContentCache | undefined): PowerRun {
  const base = runCaseSteps(c, cache);
  const energy = base.hardware.energy;
  if (energy === undefined || energy.dynamic.model !== 'work') throw new UsageError({ what: `${base.hardware.name}'s energy does not follow its work (energy.dynamic.model: work)` });
  const macs = energy.dynamic.macPj;
  const zero = Object.fromEntries(Object.keys(macs).map((dtype) => [dtype, 0]));
  const unit = (weights: number, kv: number, macPj: Record<string, number>) =>
    runCaseSteps({ ...c, overrides: { 'energy.idleWatts': 0, 'energy.dynamic.memoryPjPerByte': weights, 'energy.dynamic.kvCachePjPerByte': kv, 'energy.dynamic.macPj': macPj, 'energy.dynamic.maxWatts': undefined, 'energy.host': undefined } }, cache).steps.map((s) => s.cost.dynamicJ);
  const [weightsJ, kvJ, macsJ] = [unit(1, 0, zero), unit(0, 1, zero), unit(0, 0, { ...macs })];
  return {
    measuredW: c.row.value,
    idleW: energy.idleWatts + (energy.host?.idleWatts ?? 0),
    maxW: energy.dynamic.maxWatts ?? Infinity,
    seconds: base.seconds,
    tailSeconds: c.idleTailSeconds,
    steps: base.steps.map((s, index) => ({ seconds: (s.endMs - s.startMs) / 1000, weightsJ: weightsJ[index]!, kvJ: kvJ[index]!, macsJ: macsJ[index]! })),
    start: { a: energy.dynamic.memoryPjPerByte, kv: energy.dynamic.kvCachePjPerByte ?? energy.dynamic.memoryPjPerByte, k: 1 },
  };
}

/** Mean power over the run and its idle tail: each step at idle plus its work, at most the TDP; idle between steps and after. */
function predictedWatts(run: PowerRun, c: { a: number; kv: number; k: number }): number {
  let joules = 0;
  let busy = 0;
  for (const s of run.steps) {
    joules += Math.min(run.idleW * s.seconds + c.a * s.weightsJ + c.kv * s.kvJ + c.k * s.macsJ, run.maxW * s.seconds);
    busy += s.seconds;
  }
  const window = run.seconds + run.tailSeconds;
  return (joules + run.idleW * (window - busy)) / window;
}
