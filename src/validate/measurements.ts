import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { UserError, type Issue } from '../errors.js';
import { readTextFile } from '../util/yaml.js';

/*
 * Published measurements, one row each (validation/measurements.csv and
 * validation/multicard-moe.csv; validation/SOURCES.md says where every row
 * comes from): what ran (hardware, cards, model, precision, software and
 * version), the workload (batch, input and output lengths, concurrency),
 * the metric with its value and unit, and the exact source cell. Empty
 * fields are unknown, not zero.
 */

export const MEASUREMENT_COLUMNS = ['id', 'group', 'hardware', 'cards', 'model', 'precision', 'software', 'software_version', 'batch', 'input_len', 'output_len', 'concurrency', 'metric', 'value', 'unit', 'source', 'cell', 'notes'] as const;

const empty = (value: unknown) => (value === '' ? undefined : value);
const number = (value: unknown) => (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : empty(value));
const count = z.preprocess(number, z.number().int().positive().optional());
const text = z.string().trim();

const RowSchema = z.strictObject({
  id: text.min(1),
  group: text.min(1),
  hardware: text.min(1),
  /** Accelerators the run used; undefined where the source does not say. */
  cards: count,
  model: text.min(1),
  /** As published (FP16, INT8, fp8, int4-weight-only-g32…); empty where not stated. */
  precision: text,
  software: text.min(1),
  software_version: text,
  /** Sequences run together (a static batch, or all requests sent at once). */
  batch: count,
  input_len: count,
  output_len: count,
  /** Requests in flight at most (a serving benchmark's client concurrency). */
  concurrency: count,
  metric: text.min(1),
  value: z.preprocess(number, z.number().positive()),
  unit: text.min(1),
  source: text.min(1),
  cell: text,
  notes: text,
});

/** One published measurement, with the file and line it was read from. */
export type Measurement = z.infer<typeof RowSchema> & { readonly file: string; readonly line: number };

/**
 * Reads a measurements CSV. Every bad field is reported at once with its
 * line and column; a missing column, or an id used twice, names the file.
 */
export function loadMeasurements(path: string): Measurement[] {
  const records = parseRecords(path);
  const issues: Issue[] = [];
  const rows: Measurement[] = [];
  const seen = new Map<string, number>();
  for (const { record, line } of records) {
    const parsed = RowSchema.safeParse(record, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push({ path: `line ${line}, column ${issue.path.join('.') || '(row)'}`, message: issue.message });
      continue;
    }
    const first = seen.get(parsed.data.id);
    if (first !== undefined) issues.push({ path: `line ${line}, column id`, message: `"${parsed.data.id}" is already the id of line ${first}` });
    seen.set(parsed.data.id, line);
    rows.push({ ...parsed.data, file: path, line });
  }
  if (issues.length > 0) throw new UserError({ what: 'invalid measurements', file: path, issues });
  return rows;
}

function parseRecords(path: string): Array<{ record: Record<string, string>; line: number }> {
  const csv = readTextFile(path, UserError, 'measurements');
  let parsed: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    parsed = parse(csv, { columns: true, skip_empty_lines: true, info: true, bom: true }) as typeof parsed;
  } catch (error) {
    throw new UserError({ what: 'malformed measurements CSV', file: path, detail: `${(error as Error).message}.` });
  }
  const header = csv.split(/\r?\n/, 1)[0]!.replace(/^\uFEFF/, '').split(',').map((name) => name.trim());
  const missing = MEASUREMENT_COLUMNS.filter((column) => !header.includes(column));
  const extra = header.filter((column) => !(MEASUREMENT_COLUMNS as readonly string[]).includes(column));
  if (missing.length > 0 || extra.length > 0) {
    const problems = [missing.length > 0 ? `missing ${missing.join(', ')}` : '', extra.length > 0 ? `unknown ${extra.join(', ')}` : ''].filter((p) => p !== '');
    throw new UserError({ what: 'invalid measurements', file: path, detail: `line 1: expected the columns ${MEASUREMENT_COLUMNS.join(', ')}; ${problems.join('; ')}.` });
  }
  // info.lines is the line a record ends on; a record spans one line unless a quoted field holds a newline.
  return parsed.map(({ record, info }) => ({ record, line: info.lines }));
}
