import type { ValidationPoint } from './run.js';

/*
 * How close the simulator comes: the absolute relative error of each point,
 * summarised as its median and its worst, per group, over every GPU point,
 * and over the fitted and the held-out points apart.
 */

export interface ErrorSummary {
  readonly points: number;
  /** Median of |simulated − measured| / measured. */
  readonly medianAbsError: number;
  /** The largest, with the point it belongs to. */
  readonly worstAbsError: number;
  readonly worstId: string | undefined;
}

export interface ValidationSummary {
  /** Every point on a GPU or ASIC board: what the goal and the baseline are about. */
  readonly gpu: ErrorSummary;
  /** GPU points fitted on, and held out. */
  readonly gpuFit: ErrorSummary;
  readonly gpuHeldOut: ErrorSummary;
  /** GPU types (board names) the GPU points cover. */
  readonly gpuBoards: readonly string[];
  /** Every point, FPGA ones included. */
  readonly all: ErrorSummary;
  /** By the measurements' group (argonne, gpt-fast, trtllm-0.14…). */
  readonly byGroup: ReadonlyArray<{ readonly group: string } & ErrorSummary>;
}

/** Median and worst absolute error of some points. */
export function errorSummary(points: readonly ValidationPoint[]): ErrorSummary {
  if (points.length === 0) return { points: 0, medianAbsError: 0, worstAbsError: 0, worstId: undefined };
  const errors = points.map((p) => Math.abs(p.error)).sort((a, b) => a - b);
  const middle = errors.length / 2;
  const median = errors.length % 2 === 1 ? errors[Math.floor(middle)]! : (errors[middle - 1]! + errors[middle]!) / 2;
  const worst = points.reduce((a, b) => (Math.abs(b.error) > Math.abs(a.error) ? b : a));
  return { points: points.length, medianAbsError: median, worstAbsError: Math.abs(worst.error), worstId: worst.case.row.id };
}

/** The summaries of a validation run; `isGpu` tells GPU and ASIC boards from FPGAs. */
export function summarise(points: readonly ValidationPoint[], isGpu: (board: string) => boolean): ValidationSummary {
  const gpu = points.filter((p) => isGpu(p.case.board));
  const groups = [...new Set(points.map((p) => p.case.row.group))];
  return {
    gpu: errorSummary(gpu),
    gpuFit: errorSummary(gpu.filter((p) => p.case.fit)),
    gpuHeldOut: errorSummary(gpu.filter((p) => !p.case.fit)),
    gpuBoards: [...new Set(gpu.map((p) => p.case.board))].sort(),
    all: errorSummary(points),
    byGroup: groups.map((group) => ({ group, ...errorSummary(points.filter((p) => p.case.row.group === group)) })),
  };
}
