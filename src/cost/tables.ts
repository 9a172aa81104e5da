import { lerp } from './vector.js';

/*
 * Lazily filled tables of exact probe results, and the rules that answer
 * between their entries:
 * - by rows, with a period: beyond two periods a part's cost grows by the
 *   same amount every period (one more row group of the matrix engine, one
 *   more pass of the weights), so it is extrapolated from two exact entries;
 * - by context, in steps of `unit`: a quantity constant within a step (the
 *   tiles attention reads) is read at the step's start, one that grows
 *   linearly (the bytes the append reads) is interpolated;
 * - on a grid of (rows, context): interpolated bilinearly.
 */

/** Exact results by key, shared by every table of a cost model and persisted with it. */
export type ProbeStore = Map<string, Float64Array>;

/** A value memoised in the store under `key`. */
export function stored(store: ProbeStore, key: string, compute: () => Float64Array): Float64Array {
  let value = store.get(key);
  if (value === undefined) {
    value = compute();
    store.set(key, value);
  }
  return value;
}

/** A part's cost by its rows: exact up to two periods, extrapolated beyond. */
export class PeriodicTable {
  private readonly answered = new Map<number, Float64Array>();

  constructor(
    private readonly period: number,
    private readonly exact: (rows: number) => Float64Array,
  ) {}

  at(rows: number): Float64Array {
    let value = this.answered.get(rows);
    if (value !== undefined) return value;
    if (rows <= 2 * this.period) value = this.exact(rows);
    else {
      // rows = anchor + periods × period, with the anchor in (period, 2 period].
      const anchor = ((rows - 1) % this.period) + 1 + this.period;
      const periods = (rows - anchor) / this.period;
      value = lerp(this.exact(anchor), this.exact(anchor + this.period), periods);
    }
    this.answered.set(rows, value);
    return value;
  }
}

/** Grid points of an axis: every `unit` up to `fineUntil` units, then every `coarse` units. */
export interface Axis {
  readonly unit: number;
  readonly fineUntil: number;
  readonly coarse: number;
}

/** The grid points around `value` (in units, at least 1) and where it lies between them. */
export function bracket(axis: Axis, units: number): { low: number; high: number; t: number } {
  if (units <= axis.fineUntil) return { low: units, high: units, t: 0 };
  const low = axis.fineUntil + Math.floor((units - axis.fineUntil) / axis.coarse) * axis.coarse;
  if (low === units) return { low, high: low, t: 0 };
  return { low, high: low + axis.coarse, t: (units - low) / axis.coarse };
}

/** Bilinear interpolation of `at` over the grid cell around (x, y). */
export function bilinear(x: { low: number; high: number; t: number }, y: { low: number; high: number; t: number }, at: (x: number, y: number) => Float64Array): Float64Array {
  const bottom = x.t === 0 ? at(x.low, y.low) : lerp(at(x.low, y.low), at(x.high, y.low), x.t);
  if (y.t === 0) return bottom;
  const top = x.t === 0 ? at(x.low, y.high) : lerp(at(x.low, y.high), at(x.high, y.high), x.t);
  return lerp(bottom, top, y.t);
}

/** Least common multiple of positive integers. */
export function lcm(values: readonly number[]): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return values.reduce((acc, value) => (acc * value) / gcd(acc, value), 1);
}
