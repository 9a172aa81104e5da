import { Draws } from '../serving/random.js';
import type { AxisValues, Range, ServingSettings, SweepSpec } from './spec.js';

/*
 * The points of a sweep, drawn from its axes: every combination (grid), or
 * a seeded sample (random; latin-hypercube, which puts one point in each of
 * N equal strata of every axis). Points depend on the spec alone, in a
 * fixed order, so that every shard and every machine agrees on them.
 */

export type Scalar = number | string | boolean;
/** A precision as written: a preset's name, or a preset with fields overridden. */
export type PrecisionInput = string | Readonly<Record<string, Scalar>>;

/** Everything one point runs with. */
export interface PointInputs {
  /** A shipped board's name or a file, as the spec writes it. */
  readonly board: string;
  readonly model: string;
  /** Undefined: the model's own. */
  readonly precision: PrecisionInput | undefined;
  /** batch x prompt x generated. */
  readonly case: string;
  readonly exact: boolean;
  /** Hardware values by dotted key, applied as `--set` applies them. */
  readonly set: Readonly<Record<string, Scalar>>;
  /** Settings of a serving run; undefined when no objective needs one. */
  readonly serving: ServingSettings | undefined;
}

export interface SweepPoint {
  /** Its place in the spec's list of points, from 0. */
  readonly index: number;
  /** The value of every axis column (board, model, precision, case, swept keys), as results.csv shows it. */
  readonly columns: Readonly<Record<string, Scalar>>;
  readonly inputs: PointInputs;
}

/** One axis: its column, its values, and how a value enters a point. */
interface Axis {
  readonly column: string;
  readonly values: AxisValues | readonly PrecisionInput[];
  readonly apply: (inputs: PointInputs, value: unknown) => PointInputs;
}

/** The columns that name what a point ran, in results.csv's order. */
export function axisColumns(spec: SweepSpec): string[] {
  return ['board', 'model', 'precision', 'case', ...sweptAxes(spec).slice(4).map((axis) => axis.column)];
}

/** Every point of the spec, in its order. */
export function sweepPoints(spec: SweepSpec): SweepPoint[] {
  const axes = sweptAxes(spec);
  const base: PointInputs = { board: spec.board, model: spec.model, precision: spec.precision, case: spec.case, exact: spec.exact, set: spec.set, serving: spec.serving };
  return drawValues(axes, spec).map((values, index) => {
    let inputs = base;
    axes.forEach((axis, at) => (inputs = values[at] === undefined ? inputs : axis.apply(inputs, values[at])));
    const columns: Record<string, Scalar> = { board: inputs.board, model: inputs.model, precision: precisionLabel(inputs.precision), case: inputs.case };
    axes.slice(4).forEach((axis, at) => (columns[axis.column] = values[at + 4] as Scalar));
    return { index, columns, inputs };
  });
}

/** The fixed axes first (board, model, precision, case: undefined values when not swept), then swept hardware keys, then serving settings. */
function sweptAxes(spec: SweepSpec): Axis[] {
  const { axes } = spec;
  return [
    { column: 'board', values: axes.boards ?? [], apply: (inputs, value) => ({ ...inputs, board: value as string }) },
    { column: 'model', values: axes.models ?? [], apply: (inputs, value) => ({ ...inputs, model: value as string }) },
    { column: 'precision', values: axes.precisions ?? [], apply: (inputs, value) => ({ ...inputs, precision: value as PrecisionInput }) },
    { column: 'case', values: axes.cases ?? [], apply: (inputs, value) => ({ ...inputs, case: value as string }) },
    ...Object.entries(axes.set ?? {}).map(([key, values]): Axis => ({ column: key, values, apply: (inputs, value) => ({ ...inputs, set: { ...inputs.set, [key]: value as Scalar } }) })),
    ...Object.entries(axes.serving ?? {}).map(
      ([key, values]): Axis => ({ column: `serving.${key}`, values, apply: (inputs, value) => ({ ...inputs, serving: { ...inputs.serving, [key]: value } as ServingSettings }) }),
    ),
  ];
}

/** The precision as results.csv shows it: the preset's name, then any field overridden (`W4A16 kvCache=int8`); empty for the model's own. */
export function precisionLabel(precision: PrecisionInput | undefined): string {
  if (precision === undefined) return '';
  if (typeof precision === 'string') return precision;
  return Object.entries(precision)
    .map(([key, value]) => (key === 'preset' ? String(value) : `${key}=${String(value)}`))
    .join(' ');
}

/** Per point, the value of every axis (undefined for an axis not swept). */
function drawValues(axes: readonly Axis[], spec: SweepSpec): unknown[][] {
  const swept = axes.map((axis) => !Array.isArray(axis.values) || axis.values.length > 0);
  const sampling = spec.sampling;
  if (sampling.method === 'grid') return grid(axes.map((axis, at) => (swept[at] ? discreteValues(axis.values) : [undefined])));
  const draws = new Draws(sampling.seed);
  const units = sampling.method === 'random' ? randomUnits(axes.length, sampling.points, draws) : latinHypercubeUnits(axes.length, sampling.points, draws);
  return units.map((point) => axes.map((axis, at) => (swept[at] ? valueAt(axis.values, point[at]!) : undefined)));
}

/** Every combination, the first axis varying slowest. */
function grid(lists: readonly unknown[][]): unknown[][] {
  return lists.reduce<unknown[][]>((combinations, list) => combinations.flatMap((combination) => list.map((value) => [...combination, value])), [[]]);
}

/** For each point, a uniform draw in [0, 1) per axis. */
function randomUnits(axes: number, points: number, draws: Draws): number[][] {
  return Array.from({ length: points }, () => Array.from({ length: axes }, () => draws.unit()));
}

/** For each axis, the points fall one in each of `points` equal strata, in a random order; uniform within the stratum. */
function latinHypercubeUnits(axes: number, points: number, draws: Draws): number[][] {
  const columns = Array.from({ length: axes }, () => shuffled(points, draws).map((stratum) => (stratum + draws.unit()) / points));
  return Array.from({ length: points }, (_, point) => columns.map((column) => column[point]!));
}

/** 0 … n−1 in a random order (Fisher–Yates). */
function shuffled(n: number, draws: Draws): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = draws.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The value at quantile `u` of an axis: an item of a list (or of a range's steps), or a point of a continuous range. */
function valueAt(values: Axis['values'], u: number): unknown {
  if (Array.isArray(values) || (values as Range).steps !== undefined) {
    const list = discreteValues(values);
    return list[Math.min(list.length - 1, Math.floor(u * list.length))];
  }
  return rangeValue(values as Range, u);
}

/** A list as it is; a range at its `steps` evenly spaced values, ends included. */
function discreteValues(values: Axis['values']): unknown[] {
  if (Array.isArray(values)) return [...values];
  const range = values as Range;
  // The spec's schema refuses a range without steps where a grid needs one.
  if (range.steps === undefined) throw new Error('a range without steps has no grid');
  const steps = range.steps;
  return [...new Set(Array.from({ length: steps }, (_, i) => rangeValue(range, i / (steps - 1))))];
}

/** The point at fraction `u` of a range (geometrically with `log`), rounded to 12 significant digits (so that 0.1 steps print as 0.1) or to a whole number. */
function rangeValue(range: Range, u: number): number {
  const value = range.log === true ? range.min * (range.max / range.min) ** u : range.min + u * (range.max - range.min);
  return range.integer === true ? Math.round(value) : Number(value.toPrecision(12));
}

/** Which of n shards a run takes: `index` from 0. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The points of one shard: every n-th from the shard's index, so that each shard gets a spread of every axis. */
export function shardPoints(points: readonly SweepPoint[], shard: Shard | undefined): SweepPoint[] {
  return shard === undefined ? [...points] : points.filter((point) => point.index % shard.count === shard.index);
}
