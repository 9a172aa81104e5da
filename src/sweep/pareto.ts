import type { TableRow } from './table.js';

/*
 * Ranking a sweep's points: the best point by one objective, and the Pareto
 * front of several (the points no other point beats on every objective at
 * once). Only points that ran and fit their FPGA device are candidates, and
 * of those only the ones within the spec's constraints.
 */

export interface Ranked {
  readonly name: string;
  readonly direction: 'max' | 'min';
}

/** The value of an objective at a row, or undefined when the row has none. */
function valueOf(row: TableRow, name: string): number | undefined {
  const value = row[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Whether `a` is better than `b` on an objective (higher for max, lower for min). */
function better(a: number, b: number, direction: Ranked['direction']): boolean {
  return direction === 'max' ? a > b : a < b;
}

/** Bounds on objectives by name, as a spec's `constraints` gives them. */
export type Constraints = Readonly<Partial<Record<string, { readonly min?: number | undefined; readonly max?: number | undefined }>>>;

/** Rows that ran, fit their FPGA device (or name none), and have a value for every objective. */
export function rankable(rows: readonly TableRow[], objectives: readonly Ranked[]): TableRow[] {
  return rows.filter((row) => row['status'] === 'ok' && row['fits'] !== false && objectives.every((objective) => valueOf(row, objective.name) !== undefined));
}

/** Rows within every constraint: a constrained objective must have a value inside its bounds. */
export function withinConstraints(rows: readonly TableRow[], constraints: Constraints): TableRow[] {
  const bounds = Object.entries(constraints);
  return rows.filter((row) =>
    bounds.every(([name, bound]) => {
      const value = valueOf(row, name);
      return value !== undefined && (bound?.min === undefined || value >= bound.min) && (bound?.max === undefined || value <= bound.max);
    }),
  );
}

/** Whether `a` dominates `b`: at least as good on every objective, better on one. */
export function dominates(a: TableRow, b: TableRow, objectives: readonly Ranked[]): boolean {
  let strictly = false;
  for (const { name, direction } of objectives) {
    const [x, y] = [valueOf(a, name)!, valueOf(b, name)!];
    if (better(y, x, direction)) return false;
    if (better(x, y, direction)) strictly = true;
  }
  return strictly;
}

/** The rows no other row dominates, in row order. Quadratic in the rows: thousands of points take milliseconds. */
export function paretoFront(rows: readonly TableRow[], objectives: readonly Ranked[]): TableRow[] {
  const candidates = rankable(rows, objectives);
  return candidates.filter((row) => !candidates.some((other) => other !== row && dominates(other, row, objectives)));
}

/** The row best on one objective (the first of equals), or undefined when no row has a value. */
export function bestRow(rows: readonly TableRow[], objective: Ranked): TableRow | undefined {
  let best: TableRow | undefined;
  for (const row of rankable(rows, [objective])) if (best === undefined || better(valueOf(row, objective.name)!, valueOf(best, objective.name)!, objective.direction)) best = row;
  return best;
}
