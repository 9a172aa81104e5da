import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { kernelsMs, rooflineKernels, type Kernel, type RooflineHardware } from '../backends/index.js';
import type { BatchShape } from '../batch.js';
import { lower, maxTokensOf, type LoweringParts } from '../compiler/index.js';
import { UserError } from '../errors.js';
import type { Model } from '../model/index.js';
import type { Observation } from './measurements.js';
import { compileTarget } from '../backends/index.js';

/*
 * Least-squares calibration of a roofline board: the efficiencies and the
 * launch cost that make its simulated times closest to measured ones, in
 * relative error (a 10 ms and a 10 s measurement count alike). Each step's
 * kernels are found once; a kernel's time is arithmetic over the
 * parameters, so the fit evaluates thousands of candidates in milliseconds.
 */

/** A parameter the fit may move: a dotted key of the board with its bounds. */
export interface FitParameter {
  readonly key: string;
  readonly min: number;
  readonly max: number;
}

export const FIT_PARAMETERS: readonly FitParameter[] = [
  { key: 'efficiency.linear.memory', min: 0.05, max: 1 },
  { key: 'efficiency.linear.compute', min: 0.05, max: 1 },
  { key: 'efficiency.linear.fp8Compute', min: 0.05, max: 1 },
  { key: 'efficiency.attention.memory', min: 0.05, max: 1 },
  { key: 'efficiency.attention.compute', min: 0.05, max: 1 },
  { key: 'efficiency.vector.memory', min: 0.05, max: 1 },
  { key: 'efficiency.experts.memory', min: 0.05, max: 1 },
  { key: 'efficiency.experts.compute', min: 0.05, max: 1 },
  { key: 'kernelLaunchUs', min: 0, max: 100 },
  // A software stack's host time (boards given a --stack) and its weight-only kernels' widening work.
  { key: 'stack.stepUs', min: 0, max: 20_000 },
  { key: 'stack.sequenceUs', min: 0, max: 1_000 },
  { key: 'dequantization.opsPerElement', min: 0, max: 200 },
  { key: 'dequantization.opsPerGroup', min: 0, max: 2_000 },
];

export interface CalibrationOptions {
  readonly hardware: RooflineHardware;
  readonly model: Model;
  readonly observations: readonly Observation[];
  /** Keys to fit (default every FIT_PARAMETERS key). */
  readonly keys?: readonly string[] | undefined;
}

export interface ObservationFit {
  readonly label: string;
  readonly measuredMs: number;
  readonly beforeMs: number;
  readonly afterMs: number;
  /** (simulated − measured) / measured after the fit. */
  readonly relativeError: number;
}

export interface Calibration {
  /** The fitted values by dotted key. */
  readonly values: Readonly<Record<string, number>>;
  /** The board with them. */
  readonly hardware: RooflineHardware;
  readonly observations: readonly ObservationFit[];
  /** Root mean square of the relative errors, before and after. */
  readonly rmsBefore: number;
  readonly rmsAfter: number;
  readonly iterations: number;
}

/** Fits the board's efficiencies and launch cost to the observations. */
export function calibrate(options: CalibrationOptions): Calibration {
  // Without keys asked for, the default parameters the board has (a board without a software stack has no stack.* values).
  const parameters = chosen(options.keys).filter((p) => options.keys !== undefined || typeof valueAt(options.hardware, p.key) === 'number');
  const missing = parameters.find((p) => typeof valueAt(options.hardware, p.key) !== 'number');
  if (missing !== undefined) throw new UserError({ what: `${options.hardware.name} has no ${missing.key} to fit`, detail: 'choose a board that sets it (with --stack for stack.* keys), or leave the key out.' });
  if (options.observations.length === 0) throw new UserError({ what: 'nothing to calibrate on: the measurements hold no rows for this model' });
  // The least-squares solver needs two points at least; fewer fit nothing.
  if (options.observations.length < 2) throw new UserError({ what: `one measurement (${options.observations[0]!.label}) is too few to fit ${parameters.length} parameters`, detail: 'give at least two: more result files (a vLLM result at concurrency 1 gives its TTFT and TPOT), or GPU profile rows.' });
  const boards = options.observations.map((o) => o.on ?? { hardware: options.hardware, model: options.model });
  const parts = new PartKernels();
  const kernels = options.observations.map((o, index) => o.terms.map((term) => ({ weight: term.weight, floorMs: term.floorMs ?? 0, fixedMs: term.fixedMs ?? 0, kernels: parts.step(boards[index]!, term.batch) })));
  const predictAt = (values: readonly number[]) => {
    const boardsAt = new Map<RooflineHardware, RooflineHardware>();
    const at = (hw: RooflineHardware) => boardsAt.get(hw) ?? boardsAt.set(hw, withValues(hw, parameters, values)).get(hw)!;
    return (index: number) => {
      const hw = at(boards[index]!.hardware);
      // A step at the board's power limit takes that long whatever its kernels would (src/energy); the links' time comes on top.
      return kernels[index]!.reduce((sum, term) => sum + term.weight * (Math.max(term.floorMs, term.kernels.reduce((ms, k) => ms + k.count * kernelsMs([k.kernel], hw), 0)) + term.fixedMs), 0);
    };
  };
  const start = parameters.map((p) => valueAt(options.hardware, p.key));
  const fitted = levenbergMarquardt(
    { x: options.observations.map((_, index) => index), y: options.observations.map(() => 1) },
    (values: number[]) => {
      const predict = predictAt(values);
      return (index: number) => predict(index) / options.observations[index]!.measuredMs;
    },
    {
      initialValues: start,
      minValues: parameters.map((p) => p.min),
      maxValues: parameters.map((p) => p.max),
      gradientDifference: parameters.map((p) => (p.max - p.min) * 1e-4),
      centralDifference: true,
      damping: 1e-2,
      maxIterations: 300,
      errorTolerance: 1e-12,
    },
  );
  const hardware = withValues(options.hardware, parameters, fitted.parameterValues);
  const [before, after] = [predictAt(start), predictAt(fitted.parameterValues)];
  const observations = options.observations.map((o, index) => {
    const afterMs = after(index);
    return { label: o.label, measuredMs: o.measuredMs, beforeMs: before(index), afterMs, relativeError: (afterMs - o.measuredMs) / o.measuredMs };
  });
  const rms = (errors: number[]) => Math.sqrt(errors.reduce((sum, e) => sum + e * e, 0) / errors.length);
  return {
    values: Object.fromEntries(parameters.map((p, index) => [p.key, fitted.parameterValues[index]!])),
    hardware,
    observations,
    rmsBefore: rms(observations.map((o) => (o.beforeMs - o.measuredMs) / o.measuredMs)),
    rmsAfter: rms(observations.map((o) => o.relativeError)),
    iterations: fitted.iterations,
  };
}

function chosen(keys: readonly string[] | undefined): FitParameter[] {
  if (keys === undefined) return [...FIT_PARAMETERS];
  return keys.map((key) => {
    const parameter = FIT_PARAMETERS.find((p) => p.key === key);
    if (parameter === undefined) throw new UserError({ what: `cannot fit "${key}"`, detail: `expected one of ${FIT_PARAMETERS.map((p) => p.key).join(', ')}.` });
    return parameter;
  });
}

/**
 * A step's kernels, those alike counted once with their number (every layer
 * runs the same ones). Lowered in parts, as the fast cost path does, each
 * part once per board and shape: the token-wise layers over the step's
 * rows, the head over its sequences, and the attention of one sequence per
 * chunk length at the group's mean context, counted as many times as the
 * group has sequences (a sequence's attention is affine in its context, so
 * the group costs that in sum).
 */
class PartKernels {
  /** By board, model, precision and shape (what a kernel's bytes and operations depend on), then by part. */
  private readonly lowered = new Map<string, Map<string, readonly Kernel[]>>();

  step(board: { hardware: RooflineHardware; model: Model }, batch: BatchShape): Array<{ kernel: Kernel; count: number }> {
    const alike = new Map<string, { kernel: Kernel; count: number }>();
    const add = (kernels: readonly Kernel[], times: number) => {
      for (const kernel of kernels) {
        const key = JSON.stringify(kernel);
        const entry = alike.get(key) ?? alike.set(key, { kernel, count: 0 }).get(key)!;
        entry.count += times;
      }
    };
    const rows = batch.sequences.reduce((sum, s) => sum + s.newTokens, 0);
    add(this.part(board, `rows ${rows}`, { sequences: [{ newTokens: rows, context: 0 }] }, { tokenwise: 'all', attention: [], head: false }), 1);
    const heads = batch.sequences.length;
    add(this.part(board, `head ${heads}`, { sequences: Array.from({ length: heads }, () => ({ newTokens: 1, context: 0 })) }, { tokenwise: [], attention: [], head: true }), 1);
    const byChunk = new Map<number, number[]>();
    for (const s of batch.sequences) byChunk.set(s.newTokens, [...(byChunk.get(s.newTokens) ?? []), s.context]);
    for (const [newTokens, contexts] of byChunk) {
      const context = Math.round(contexts.reduce((sum, c) => sum + c, 0) / contexts.length);
      add(this.part(board, `attention ${newTokens}@${context}`, { sequences: [{ newTokens, context }] }, { tokenwise: [], attention: [0], head: false }), contexts.length);
    }
    return [...alike.values()];
  }

  private part(board: { hardware: RooflineHardware; model: Model }, key: string, batch: BatchShape, parts: LoweringParts): readonly Kernel[] {
    // The architecture too: a tensor-parallel card's share keeps the model's name.
    const on = JSON.stringify([board.hardware.name, board.model.name, board.model.mapping.precision, board.model.architecture]);
    const byKey = this.lowered.get(on) ?? this.lowered.set(on, new Map()).get(on)!;
    let kernels = byKey.get(key);
    if (kernels === undefined) {
      const target = compileTarget(board.hardware);
      kernels = rooflineKernels(lower({ model: board.model, target, batch, maxTokens: maxTokensOf(board.model, target), parts, batchedForm: true }).layers, board.hardware).kernels;
      byKey.set(key, kernels);
    }
    return kernels;
  }
}

function valueAt(tree: unknown, key: string): number {
  const value = key.split('.').reduce<unknown>((node, part) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined), tree);
  return value as number;
}

/** A copy of the board with the parameters at the given values. */
function withValues(hw: RooflineHardware, parameters: readonly FitParameter[], values: readonly number[]): RooflineHardware {
  const copy = structuredClone(hw) as unknown as Record<string, unknown>;
  parameters.forEach((p, index) => {
    const parts = p.key.split('.');
    const parent = parts.slice(0, -1).reduce<Record<string, unknown>>((node, part) => node[part] as Record<string, unknown>, copy);
    parent[parts.at(-1)!] = values[index]!;
  });
  return copy as unknown as RooflineHardware;
}
