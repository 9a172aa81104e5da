import { fileURLToPath } from 'node:url';
import type { ContentCache } from '../util/cache.js';
import { PACKAGE_ROOT } from '../version.js';
import { validate, type ValidationReport } from './validate.js';

/*
 * The multi-card rows of `validate`, on their own: every published
 * measurement taken on several cards that the simulator runs (planned and
 * simulated as every other row, src/validate/plan.ts and run.ts, with the
 * row's tensor- and pipeline-parallel layout), set beside its simulation.
 */

/** One measurement beside its simulation. */
export interface MultiCardValidationRow {
  readonly id: string;
  readonly group: string;
  readonly hardware: string;
  readonly model: string;
  readonly cards: number;
  readonly batch: number | undefined;
  readonly inputLen: number | undefined;
  readonly outputLen: number | undefined;
  readonly metric: string;
  readonly unit: string;
  readonly measured: number;
  readonly simulated: number;
  /** (simulated − measured) / measured, %. */
  readonly errorPercent: number;
}

export interface MultiCardValidation {
  readonly rows: readonly MultiCardValidationRow[];
  readonly medianAbsErrorPercent: number;
  readonly worstAbsErrorPercent: number;
  /** Multi-card rows not simulated, each with its reason (several nodes, a board or model without a file…). */
  readonly skipped: ReadonlyArray<{ readonly id: string; readonly cards: number; readonly reason: string }>;
}

export interface ValidateMultiCardOptions {
  /** Measurement CSVs; default the package's validation/measurements.csv and validation/multicard-moe.csv. */
  readonly files?: readonly string[] | undefined;
  /** Only rows whose id or group contains this text. */
  readonly filter?: string | undefined;
  readonly cache?: ContentCache | undefined;
}

/** The shipped measurement files. */
export function shippedMeasurementFiles(): string[] {
  return ['measurements.csv', 'multicard-moe.csv'].map((name) => fileURLToPath(new URL(`validation/${name}`, PACKAGE_ROOT)));
}

/** Simulates every multi-card row and sets it beside its measurement. */
export function validateMultiCard(options: ValidateMultiCardOptions = {}): MultiCardValidation {
  const report = validate({ files: options.files ?? shippedMeasurementFiles(), filter: options.filter, cache: options.cache });
  return multiCardPart(report);
}

/** The multi-card points and skipped rows of a validation report. */
export function multiCardPart(report: ValidationReport): MultiCardValidation {
  const rows = report.points
    .filter((p) => p.case.layout.cards > 1)
    .map((p) => {
      const row = p.case.row;
      return { id: row.id, group: row.group, hardware: p.case.board, model: row.model, cards: p.case.layout.cards, batch: row.batch, inputLen: row.input_len, outputLen: row.output_len, metric: row.metric, unit: row.unit, measured: p.measured, simulated: p.simulated, errorPercent: p.error * 100 };
    });
  const errors = rows.map((r) => Math.abs(r.errorPercent)).sort((a, b) => a - b);
  const middle = errors.length / 2;
  const median = errors.length === 0 ? 0 : errors.length % 2 === 1 ? errors[Math.floor(middle)]! : (errors[middle - 1]! + errors[middle]!) / 2;
  const skipped = report.skipped.filter((s) => (s.row.cards ?? 1) > 1).map((s) => ({ id: s.row.id, cards: s.row.cards!, reason: s.reason }));
  return { rows, medianAbsErrorPercent: median, worstAbsErrorPercent: errors.at(-1) ?? 0, skipped };
}
