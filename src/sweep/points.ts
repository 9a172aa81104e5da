import { Draws } from '../serving/random.js';
import { discreteValues, rangeValue, type AxisValues, type Range, type ServingSettings, type SweepSpec } from './spec.js';

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
  return [...eachPoint(spec)];
}

/** How many points the spec has, without making them. */
export function pointCount(spec: SweepSpec): number {
  if (spec.sampling.method !== 'grid') return spec.sampling.points;
  return sweptAxes(spec).reduce((product, axis) => product * (Array.isArray(axis.values) && axis.values.length === 0 ? 1 : discreteValues(axis.values as AxisValues).length), 1);
}

/**
 * The spec's points one at a time, in its order, none held beyond its turn:
 * a grid's point is decoded from its index, a sample's drawn in sequence.
 */
export function* eachPoint(spec: SweepSpec): Generator<SweepPoint> {
  const axes = sweptAxes(spec);
  const base: PointInputs = { board: spec.board, model: spec.model, precision: spec.precision, case: spec.case, exact: spec.exact, set: spec.set, serving: spec.serving };
  let index = 0;
  for (const values of drawValues(axes, spec)) {
    let inputs = base;
    axes.forEach((axis, at) => (inputs = values[at] === undefined ? inputs : axis.apply(inputs, values[at])));
    const columns: Record<string, Scalar> = { board: inputs.board, model: inputs.model, precision: precisionLabel(inputs.precision), case: inputs.case };
    axes.slice(4).forEach((axis, at) => (columns[axis.column] = values[at + 4] as Scalar));
    yield { index: index++, columns, inputs };
  }
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
function* drawValues(axes: readonly Axis[], spec: SweepSpec): Generator<unknown[]> {
  const swept = axes.map((axis) => !Array.isArray(axis.values) || axis.values.length > 0);
  const sampling = spec.sampling;
  if (sampling.method === 'grid') {
    yield* grid(axes.map((axis, at) => (swept[at] ? discreteValues(axis.values as AxisValues) : [undefined])));
    return;
  }
  const draws = new Draws(sampling.seed);
  const units = sampling.method === 'random' ? randomUnits(axes.length, sampling.points, draws) : latinHypercubeUnits(axes.length, sampling.points, draws);
  for (const point of units) yield axes.map((axis, at) => (swept[at] ? valueAt(axis.values, point[at]!) : undefined));
}

/** Every combination, the first axis varying slowest: the i-th is i written in the mixed radix of the lists' lengths. */
function* grid(lists: readonly unknown[][]): Generator<unknown[]> {
  const count = lists.reduce((product, list) => product * list.length, 1);
  for (let index = 0; index < count; index++) {
    const values = new Array<unknown>(lists.length);
    let rest = index;
    for (let at = lists.length - 1; at >= 0; at--) {
      const list = lists[at]!;
      values[at] = list[rest % list.length];
      rest = Math.floor(rest / list.length);
    }
    yield values;
  }
}

/** For each point, a uniform draw in [0, 1) per axis, drawn point by point. */
function* randomUnits(axes: number, points: number, draws: Draws): Generator<number[]> {
  for (let point = 0; point < points; point++) yield Array.from({ length: axes }, () => draws.unit());
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
    const list = discreteValues(values as AxisValues);
    return list[Math.min(list.length - 1, Math.floor(u * list.length))];
  }
  return rangeValue(values as Range, u);
}

/** Which of n shards a run takes: `index` from 0. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The points of one shard: every n-th from the shard's index, so that each shard gets a spread of every axis. Only the shard's points are kept. */
export function shardPoints(points: Iterable<SweepPoint>, shard: Shard | undefined): SweepPoint[] {
  const kept: SweepPoint[] = [];
  for (const point of points) if (shard === undefined || point.index % shard.count === shard.index) kept.push(point);
  return kept;
}
