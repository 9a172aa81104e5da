import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { UserError, type Issue } from '../errors.js';
import { readTextFile } from '../util/yaml.js';
import { zodIssues } from '../util/zod-issues.js';
import type { Case, CaseFigures } from './cases.js';

/*
 * GPU profiles: measured latencies of the same cases on a GPU, one CSV per
 * backend. Columns: device, backend, batch, prompt, generated, prefill_ms,
 * decode_ms, total_ms, source (where the figures come from), and optionally
 * model (which model was measured; rows without it apply to any model).
 */

export const GPU_CSV_COLUMNS = ['device', 'backend', 'batch', 'prompt', 'generated', 'prefill_ms', 'decode_ms', 'total_ms', 'source'] as const;

/** A CSV field read as a number; text that is not one stays text, so the error can quote it. */
const asNumber = (value: unknown) => (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value);
const count = z.preprocess(asNumber, z.number().int().positive());
const milliseconds = z.preprocess(asNumber, z.number().nonnegative());

export const GpuRowSchema = z.strictObject({
  device: z.string().min(1),
  backend: z.string().min(1),
  batch: count,
  prompt: count,
  generated: count,
  prefill_ms: milliseconds,
  decode_ms: milliseconds,
  total_ms: milliseconds,
  source: z.string(),
  /** The model measured, by its name or display name (e.g. llama2-7B); absent or empty: any model. */
  model: z.string().optional(),
});
export type GpuRow = z.infer<typeof GpuRowSchema>;

/** One backend's measurements on one device. */
export interface GpuProfile {
  /** Its column's heading: the backend, or `backend (device)` where profiles of several devices share the backend. */
  readonly label: string;
  readonly device: string;
  readonly backend: string;
  readonly file: string;
  readonly rows: readonly GpuRow[];
}

/** Reads a GPU profile CSV; errors name the file, line and column. */
export function loadGpuProfile(path: string): GpuProfile {
  const text = readTextFile(path, UserError, 'GPU profile');
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    throw new UserError({ what: 'malformed GPU profile CSV', file: path, detail: `${(error as Error).message}.` });
  }
  const header = Object.keys(records[0] ?? {});
  const missing = GPU_CSV_COLUMNS.filter((column) => !header.includes(column));
  if (records.length === 0 || missing.length > 0) {
    throw new UserError({ what: 'invalid GPU profile', file: path, detail: `line 1: expected the columns ${GPU_CSV_COLUMNS.join(', ')}${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}.` });
  }
  const issues: Issue[] = [];
  const rows: GpuRow[] = [];
  records.forEach((record, index) => {
    const parsed = GpuRowSchema.safeParse(record, { reportInput: true });
    if (parsed.success) rows.push(parsed.data);
    else issues.push(...zodIssues(parsed.error).map((issue) => ({ path: `line ${index + 2}, ${issue.path}`, message: issue.message })));
  });
  if (issues.length > 0) throw new UserError({ what: 'invalid GPU profile', file: path, issues });
  const labels = new Set(rows.map((row) => row.backend));
  if (labels.size !== 1) throw new UserError({ what: 'invalid GPU profile', file: path, detail: `expected one backend per file, found ${[...labels].join(', ')}.` });
  const devices = new Set(rows.map((row) => row.device));
  if (devices.size !== 1) throw new UserError({ what: 'invalid GPU profile', file: path, detail: `expected one device per file, found ${[...devices].join(', ')}.` });
  return { label: rows[0]!.backend, device: rows[0]!.device, backend: rows[0]!.backend, file: path, rows };
}

/** A GPU profile's figures for a case, or undefined when it does not have the case. */
export function gpuFigures(profile: GpuProfile, c: Case): CaseFigures | undefined {
  const row = profile.rows.find((r) => r.batch === c.batch && r.prompt === c.prompt && r.generated === c.generated);
  if (row === undefined) return undefined;
  return { prefillMs: row.prefill_ms, decodeMs: row.decode_ms, totalMs: row.total_ms, tokensPerSecond: (c.generated * c.batch) / (row.decode_ms / 1000) };
}

/** Whether a GPU row measured this model: its `model` names it (case aside), or it names none. */
function measured(row: GpuRow, model: { readonly names: readonly string[] }): boolean {
  return row.model === undefined || row.model === '' || model.names.some((name) => name.toLowerCase() === row.model!.toLowerCase());
}

/**
 * The GPU profiles narrowed to the rows that measured the model; profiles
 * left with no rows are returned apart, so the caller can say so.
 */
export function gpuProfilesFor(gpus: readonly GpuProfile[], model: { readonly names: readonly string[] }): { readonly matching: GpuProfile[]; readonly other: GpuProfile[] } {
  distinctColumns(gpus);
  const matching: GpuProfile[] = [];
  const other: GpuProfile[] = [];
  for (const gpu of gpus) {
    const rows = gpu.rows.filter((row) => measured(row, model));
    if (rows.length > 0) matching.push({ ...gpu, rows });
    else other.push(gpu);
  }
  return { matching: distinctColumns(matching), other };
}

/**
 * GPU columns are told apart by device and backend: two profiles of the
 * same pair are an error naming both files (one would hide the other), and
 * profiles of one backend on several devices are headed `backend (device)`.
 */
export function distinctColumns(gpus: readonly GpuProfile[]): GpuProfile[] {
  const byPair = new Map<string, GpuProfile>();
  for (const gpu of gpus) {
    const pair = JSON.stringify([gpu.device, gpu.backend]);
    const earlier = byPair.get(pair);
    if (earlier !== undefined) {
      throw new UserError({ what: `two GPU profiles of ${gpu.backend} on ${gpu.device}`, detail: `${earlier.file} and ${gpu.file} both hold it; give one of them, or tell them apart by their device or backend column.` });
    }
    byPair.set(pair, gpu);
  }
  const shared = (gpu: GpuProfile) => gpus.some((other) => other !== gpu && other.backend === gpu.backend);
  return gpus.map((gpu) => ({ ...gpu, label: shared(gpu) ? `${gpu.backend} (${gpu.device})` : gpu.backend }));
}
