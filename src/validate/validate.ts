import { loadHardware, loadStack, shippedHardwareNames, shippedStackNames } from '../backends/index.js';
import { shippedModelNames } from '../model/index.js';
import type { ContentCache } from '../util/cache.js';
import { contradictions, type Contradiction } from './consistency.js';
import { loadMeasurements } from './measurements.js';
import { planValidation, type Available, type SkippedRow } from './plan.js';
import { simulateCases, type RefusedCase, type ValidationPoint } from './run.js';
import { FIT_RULES, splitOf } from './split.js';
import { summarise, type ValidationSummary } from './summary.js';

/*
 * `validate`: published measurements against the simulator. Every row is
 * planned (or skipped with its reason), simulated as its benchmark ran, and
 * compared; the summary gives the median and worst error per group, over
 * every GPU point, and over the fitted and held-out points apart.
 */

export interface ValidationOptions {
  /** Measurement CSVs (validation/measurements.csv's columns). */
  readonly files: readonly string[];
  /** Only rows whose id or group contains this text. */
  readonly filter?: string | undefined;
  readonly cache?: ContentCache | undefined;
  readonly onCase?: ((done: number, total: number, label: string) => void) | undefined;
}

export interface ValidationReport {
  readonly points: readonly ValidationPoint[];
  /** Rows the simulator cannot run yet, each with its reason. */
  readonly skipped: readonly SkippedRow[];
  /** Rows planned but refused by the simulator (a batch that does not fit), each with its reason. */
  readonly refused: readonly RefusedCase[];
  readonly summary: ValidationSummary;
  /** The rules that chose the fitted rows. */
  readonly fitRules: readonly string[];
  /** Pairs of planned rows whose measured times fall as their work grows (src/validate/consistency.ts). */
  readonly contradictions: readonly Contradiction[];
}

export function validate(options: ValidationOptions): ValidationReport {
  const rows = options.files.flatMap((file) => loadMeasurements(file)).filter((row) => options.filter === undefined || row.id.includes(options.filter) || row.group.includes(options.filter));
  const available = availableHere(options.cache);
  const { cases, skipped } = planValidation(rows, available, splitOf);
  const { points, refused } = simulateCases(cases, { cache: options.cache, onCase: options.onCase });
  return { points, skipped, refused, summary: summarise(points, (board) => available.gpuBoards.has(board)), fitRules: FIT_RULES.map((rule) => rule.description), contradictions: contradictions(cases) };
}

/** The shipped boards (telling GPUs and ASICs apart), models and stacks. */
export function availableHere(cache?: ContentCache): Available {
  const boards = shippedHardwareNames();
  const gpuBoards = boards.filter((name) => loadHardware(name, { cache }).kind === 'roofline');
  const stacks = shippedStackNames().map((name) => {
    const stack = loadStack(name);
    return { name, software: stack.measurements.software, versions: stack.measurements.versions, boards: stack.measurements.boards };
  });
  return { boards: new Set(boards), gpuBoards: new Set(gpuBoards), models: new Set(shippedModelNames()), stacks };
}
