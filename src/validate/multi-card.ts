import { fileURLToPath } from 'node:url';
import type { ContentCache } from '../util/cache.js';
import { PACKAGE_ROOT } from '../version.js';
import { errorSummary } from './summary.js';
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
  const points = report.points.filter((p) => p.case.layout.cards > 1);
  const rows = points.map((p) => {
    const row = p.case.row;
    return { id: row.id, group: row.group, hardware: p.case.board, model: row.model, cards: p.case.layout.cards, batch: row.batch, inputLen: row.input_len, outputLen: row.output_len, metric: row.metric, unit: row.unit, measured: p.measured, simulated: p.simulated, errorPercent: p.error * 100 };
  });
  const summary = errorSummary(points);
  const skipped = report.skipped.filter((s) => (s.row.cards ?? 1) > 1).map((s) => ({ id: s.row.id, cards: s.row.cards!, reason: s.reason }));
  return { rows, medianAbsErrorPercent: summary.medianAbsError * 100, worstAbsErrorPercent: summary.worstAbsError * 100, skipped };
}
