import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { UserError, type Issue } from '../errors.js';
import { readTextFile } from '../util/yaml.js';

/*
 * Serving measurements in the K100-AI benchmark report's columns (seeds/002):
 * model, framework, concurrency, throughput (output tokens/s), P50 latency
 * (ms per output token), utilisation (%) and power (W); one row per
 * concurrency. Utilisation, power and P50 may be empty. Optional input_len,
 * output_len and num_prompts give each row's scenario; otherwise the
 * command supplies them.
 */

export const SERVING_CSV_COLUMNS = ['model', 'framework', 'concurrency', 'throughput_tok_s', 'p50_ms', 'utilization_pct', 'power_w'] as const;

/** Other headers the report's tables use for the same columns. */
const ALIASES: Readonly<Record<string, (typeof SERVING_CSV_COLUMNS)[number] | 'input_len' | 'output_len'>> = {
  '模型': 'model',
  '框架': 'framework',
  '并发数': 'concurrency',
  'throughput': 'throughput_tok_s',
  'throughput_tokens_per_s': 'throughput_tok_s',
  'throughput (tokens/s)': 'throughput_tok_s',
  '吞吐量(tokens/s)': 'throughput_tok_s',
  'p50': 'p50_ms',
  'p50 (ms)': 'p50_ms',
  'p50延迟(ms)': 'p50_ms',
  'gpu利用率': 'utilization_pct',
  'utilization': 'utilization_pct',
  'gpu util (%)': 'utilization_pct',
  'power': 'power_w',
  'power (w)': 'power_w',
  'gpu power (w)': 'power_w',
};

const asNumber = (value: unknown) => (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value.replace(/[,%]/g, ''))) ? Number(value.replace(/[,%]/g, '')) : value);
const emptyToUndefined = (value: unknown) => (value === '' || value === '—' || value === '-' ? undefined : asNumber(value));

const RowSchema = z.strictObject({
  model: z.string().min(1),
  framework: z.string().min(1),
  concurrency: z.preprocess(asNumber, z.number().int().positive()),
  throughput_tok_s: z.preprocess(asNumber, z.number().positive()),
  p50_ms: z.preprocess(emptyToUndefined, z.number().positive().optional()),
  utilization_pct: z.preprocess(emptyToUndefined, z.number().min(0).max(100).optional()),
  power_w: z.preprocess(emptyToUndefined, z.number().positive().optional()),
  input_len: z.preprocess(emptyToUndefined, z.number().int().positive().optional()),
  output_len: z.preprocess(emptyToUndefined, z.number().int().positive().optional()),
  num_prompts: z.preprocess(emptyToUndefined, z.number().int().positive().optional()),
});
export type ServingMeasurement = z.infer<typeof RowSchema> & { readonly line: number };

/** Whether a CSV header is the serving format (not a GPU profile's). */
export function isServingCsvHeader(header: readonly string[]): boolean {
  const names = header.map(canonical);
  return names.includes('concurrency') && names.includes('throughput_tok_s');
}

export function servingCsvHeader(path: string): string[] {
  const first = readTextFile(path, UserError, 'measurement CSV').split(/\r?\n/, 1)[0] ?? '';
  return first.split(',').map((name) => name.trim());
}

function canonical(name: string): string {
  const key = name.trim().toLowerCase();
  return ALIASES[key] ?? ALIASES[name.trim()] ?? key;
}

/** Reads serving measurements; every bad field is reported with its line and column. */
export function loadServingCsv(path: string): ServingMeasurement[] {
  const text = readTextFile(path, UserError, 'serving measurements');
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: (header: string[]) => header.map(canonical), skip_empty_lines: true, trim: true });
  } catch (error) {
    throw new UserError({ what: 'malformed serving measurements CSV', file: path, detail: `${(error as Error).message}.` });
  }
  const header = Object.keys(records[0] ?? {});
  const required = SERVING_CSV_COLUMNS.filter((c) => c !== 'utilization_pct' && c !== 'power_w' && c !== 'p50_ms');
  const missing = required.filter((column) => !header.includes(column));
  if (records.length === 0 || missing.length > 0) throw new UserError({ what: 'invalid serving measurements', file: path, detail: `line 1: expected the columns ${SERVING_CSV_COLUMNS.join(', ')} (utilisation, power and p50 may be empty)${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}.` });
  const issues: Issue[] = [];
  const rows: ServingMeasurement[] = [];
  records.forEach((record, index) => {
    const line = index + 2;
    const parsed = RowSchema.safeParse(Object.fromEntries(Object.entries(record).filter(([key]) => key in RowSchema.shape)), { reportInput: true });
    if (parsed.success) rows.push({ ...parsed.data, line });
    else for (const issue of parsed.error.issues) issues.push({ path: `line ${line}, column ${issue.path.join('.')}`, message: issue.message });
  });
  if (issues.length > 0) throw new UserError({ what: 'invalid serving measurements', file: path, issues });
  return rows;
}
