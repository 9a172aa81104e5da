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

/** How a part's groups grow with rows (see RowStructure in the backend interface). */
export interface RowShape {
  /** Length of one group's cost vector. */
  readonly width: number;
  /** Each group's period in rows; Infinity where it has none. */
  readonly periods: readonly number[];
  /** Rows between exact probes, linear in between. */
  readonly affineRows: number;
  /** Fewest rows a probe can have (the matrix engine needs two). */
  readonly minRows: number;
}

/**
 * A part's cost by its rows. Each group is read exactly up to two of its
 * periods (interpolated between multiples of `affineRows`) and extrapolated
 * beyond from two anchors one period apart.
 */
export class RowTable {
  private readonly answered = new Map<number, Float64Array>();
  private readonly inRange = new Map<number, Float64Array>();

  constructor(
    private readonly shape: RowShape,
    private readonly exact: (rows: number) => Float64Array,
  ) {}

  at(rows: number): Float64Array {
    let value = this.answered.get(rows);
    if (value !== undefined) return value;
    const { width, periods } = this.shape;
    value = new Float64Array(width * periods.length);
    periods.forEach((period, group) => {
      const offset = group * width;
      let part: Float64Array;
      if (rows <= 2 * period) part = this.within(rows).subarray(offset, offset + width);
      else {
        // rows = anchor + n × period, with the anchor in (period, 2 period].
        const anchor = ((rows - 1) % period) + 1 + period;
        const low = this.within(anchor).subarray(offset, offset + width);
        const high = this.within(anchor + period).subarray(offset, offset + width);
        part = lerp(low, high, (rows - anchor) / period);
      }
      value!.set(part, offset);
    });
    this.answered.set(rows, value);
    return value;
  }

  /** Exact at multiples of `affineRows` (and the row after each), linear in between. */
  private within(rows: number): Float64Array {
    let value = this.inRange.get(rows);
    if (value !== undefined) return value;
    const unit = this.shape.affineRows;
    const low = Math.max(this.shape.minRows, unit * Math.floor((rows - 1) / unit) + 1);
    const high = unit * Math.ceil(rows / unit);
    value = unit === 1 || rows <= low || rows >= high ? this.exact(rows) : lerp(this.exact(low), this.exact(high), (rows - low) / (high - low));
    this.inRange.set(rows, value);
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
