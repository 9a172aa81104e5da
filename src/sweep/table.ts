import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { zodIssues } from '../util/zod-issues.js';
import { OutputSet } from '../util/output-set.js';
import { contentHash } from '../util/hash.js';
import { TOOL_VERSION } from '../version.js';
import { objectiveNamed } from './objectives.js';
import { axisColumns, eachPoint, type Scalar, type Shard } from './points.js';
import { canonicalJson } from '../util/json.js';
import type { SweepResult } from './run.js';
import { reportedObjectives, SweepSpecSchema, type SweepSpec } from './spec.js';

/*
 * A sweep's results as a table: one row per point (its index, what it ran,
 * its status, the objectives, why it failed, its content hash), written as
 * results.csv and results.parquet, with sweep.json describing the columns
 * and the spec. Everything printed is a function of the spec and the
 * points' results, never of the machine, the order points finished in or
 * the shard they ran in: shards merged give the unsharded file byte for byte.
 */

export type ColumnType = 'int' | 'double' | 'string' | 'boolean';
export interface Column {
  readonly name: string;
  readonly type: ColumnType;
}
export type Cell = Scalar | null;
export type TableRow = Readonly<Record<string, Cell>>;

/** What sweep.json records: enough to merge shards and draw figures without the spec file. */
export interface SweepManifest {
  readonly name: string;
  /** Content hash of the validated spec: shards of one sweep share it. */
  readonly specHash: string;
  readonly toolVersion: string;
  /** The shard these rows are, or null for every point. */
  readonly shard: Shard | null;
  readonly totalPoints: number;
  readonly columns: readonly Column[];
  /** The validated spec (without where its file was). */
  readonly spec: Omit<SweepSpec, 'directory'>;
}

export interface SweepTable {
  readonly manifest: SweepManifest;
  /** In point order. */
  readonly rows: readonly TableRow[];
}

export const RESULTS_CSV = 'results.csv';
export const RESULTS_PARQUET = 'results.parquet';
export const MANIFEST = 'sweep.json';

/** The spec as it is hashed and recorded: validated, without its file's directory. */
function portableSpec(spec: SweepSpec): Omit<SweepSpec, 'directory'> {
  const { directory: _, ...rest } = spec;
  return rest;
}

export function specHash(spec: SweepSpec): string {
  return contentHash(canonicalJson(portableSpec(spec)));
}

/** The table of a sweep's rows. */
export function sweepTable(result: SweepResult): SweepTable {
  const { spec } = result;
  const manifest: SweepManifest = {
    name: spec.name,
    specHash: specHash(spec),
    toolVersion: TOOL_VERSION,
    shard: result.shard ?? null,
    totalPoints: result.totalPoints,
    columns: columnsOf(spec),
    spec: portableSpec(spec),
  };
  const rows = result.rows.map((row): TableRow => ({ point: row.point, ...row.columns, status: row.status, fits: row.fits, ...row.metrics, error: row.error, key: row.key }));
  return { manifest, rows };
}

/** point, what ran (board, model, precision, case, swept keys), status, fits, the objectives (then those only constrained), error, key. */
function columnsOf(spec: SweepSpec): Column[] {
  const names = axisColumns(spec);
  const types = new Map(names.map((name) => [name, new Set<string>()]));
  for (const point of eachPoint(spec)) for (const name of names) types.get(name)!.add(typeof point.columns[name]);
  return [
    { name: 'point', type: 'int' },
    ...names.map((name): Column => ({ name, type: typeOfValues(types.get(name)!) })),
    { name: 'status', type: 'string' },
    { name: 'fits', type: 'boolean' },
    ...reportedObjectives(spec).map((name): Column => ({ name, type: 'double' })),
    { name: 'error', type: 'string' },
    { name: 'key', type: 'string' },
  ];
}

/** A column's type from the types (`typeof`) of its values. */
function typeOfValues(types: ReadonlySet<string>): ColumnType {
  if (types.size === 1 && types.has('number')) return 'double';
  if (types.size === 1 && types.has('boolean')) return 'boolean';
  return 'string';
}

/** results.csv, results.parquet and sweep.json in `directory`, written as a set (all or none); `outputs` may hold more files to write with them. */
export async function writeSweepTable(directory: string, table: SweepTable, outputs: OutputSet = new OutputSet()): Promise<void> {
  for (const file of await sweepTableFiles(table)) outputs.add(join(directory, file.name), file.data);
  outputs.commit();
}

/** The files of a sweep's table, by name: results.csv, results.parquet, sweep.json. */
export async function sweepTableFiles(table: SweepTable): Promise<Array<{ readonly name: string; readonly data: string | Uint8Array }>> {
  return [
    { name: RESULTS_CSV, data: tableCsv(table) },
    { name: RESULTS_PARQUET, data: await tableParquet(table) },
    { name: MANIFEST, data: `${JSON.stringify(table.manifest, null, 1)}\n` },
  ];
}

/** The table as CSV: a header, then one line per row; numbers in JavaScript's shortest exact form, empty for null. */
export function tableCsv(table: SweepTable): string {
  const names = table.manifest.columns.map((column) => column.name);
  const lines = [names.map(csvField).join(','), ...table.rows.map((row) => names.map((name) => csvField(row[name] ?? null)).join(','))];
  return `${lines.join('\n')}\n`;
}

function csvField(value: Cell): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const PARQUET_TYPES = { int: 'INT32', double: 'DOUBLE', string: 'STRING', boolean: 'BOOLEAN' } as const;

/** The table as Parquet (hyparquet-writer, imported only here): one typed, nullable column per column. */
async function tableParquet(table: SweepTable): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const columnData = table.manifest.columns.map((column) => ({
    name: column.name,
    type: PARQUET_TYPES[column.type],
    nullable: true,
    data: table.rows.map((row) => row[column.name] ?? null),
  }));
  return new Uint8Array(parquetWriteBuffer({ columnData, kvMetadata: [{ key: 'fpga-llm-sim.sweep', value: JSON.stringify({ name: table.manifest.name, specHash: table.manifest.specHash }) }] }));
}

/** Reads a sweep's table back from its directory (sweep.json and results.csv). */
export function readSweepTable(directory: string): SweepTable {
  const manifestPath = join(directory, MANIFEST);
  const csvPath = join(directory, RESULTS_CSV);
  for (const path of [manifestPath, csvPath]) if (!existsSync(path)) throw new UserError({ what: 'not the output of a sweep', file: directory, detail: `no ${path}.` });
  const manifest = readManifest(manifestPath);
  let records: string[][];
  try {
    records = parseCsv(readFileSync(csvPath, 'utf8'), { relax_column_count: false }) as string[][];
  } catch (error) {
    throw new UserError({ what: 'invalid results.csv', file: csvPath, detail: `${(error as Error).message}.` });
  }
  const [header, ...body] = records;
  const names = manifest.columns.map((column) => column.name);
  if (header?.join(',') !== names.join(',')) throw new UserError({ what: 'results.csv does not match sweep.json', file: csvPath, detail: `expected the columns ${names.join(', ')}.` });
  const rows = body.map((record, at) => rowOf(record, { manifest, file: csvPath, line: at + 2 }));
  return { manifest, rows };
}

const ManifestSchema = z.strictObject({
  name: z.string(),
  specHash: z.string(),
  toolVersion: z.string(),
  shard: z.strictObject({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).nullable(),
  totalPoints: z.number().int().nonnegative(),
  columns: z.array(z.strictObject({ name: z.string(), type: z.enum(['int', 'double', 'string', 'boolean']) })),
  spec: z.unknown(),
});

/** sweep.json, checked: its schema, its spec (validated again, and hashing to its specHash), and its columns (those of its spec). */
function readManifest(path: string): SweepManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError({ what: 'invalid sweep.json: not JSON', file: path, detail: `${(error as Error).message}.` });
  }
  const parsed = ManifestSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new UserError({ what: 'invalid sweep.json', file: path, issues: zodIssues(parsed.error) });
  const spec = SweepSpecSchema.safeParse(parsed.data.spec, { reportInput: true });
  if (!spec.success) throw new UserError({ what: 'invalid sweep.json', file: path, issues: zodIssues(spec.error, ['spec']) });
  if (specHash(spec.data) !== parsed.data.specHash) throw new UserError({ what: 'invalid sweep.json', file: path, detail: 'its spec does not hash to its specHash: the file was edited, or written by another version.' });
  if (canonicalJson(columnsOf(spec.data)) !== canonicalJson(parsed.data.columns)) throw new UserError({ what: 'invalid sweep.json', file: path, detail: 'its columns are not those of its spec.' });
  return { ...parsed.data, spec: spec.data };
}

/** A row of results.csv, each cell checked against its column's type, its point against the sweep (and the shard), its status against the three there are. */
function rowOf(record: readonly string[], at: { manifest: SweepManifest; file: string; line: number }): TableRow {
  const { manifest } = at;
  const fail = (detail: string) => new UserError({ what: 'invalid results.csv', file: at.file, detail: `line ${at.line}: ${detail}` });
  const row = Object.fromEntries(manifest.columns.map((column, index) => [column.name, cellOf(record[index]!, column.type)]));
  for (const column of manifest.columns) if (Number.isNaN(row[column.name])) throw fail(`${column.name}: expected ${column.type === 'boolean' ? 'true or false' : 'a number'}, got ${JSON.stringify(record[manifest.columns.indexOf(column)])}.`);
  const point = row['point'];
  if (typeof point !== 'number' || !Number.isInteger(point) || point < 0 || point >= manifest.totalPoints) throw fail(`point: expected a point from 0 to ${manifest.totalPoints - 1}, got ${String(point)}.`);
  if (manifest.shard !== null && point % manifest.shard.count !== manifest.shard.index) throw fail(`point ${point} is not in shard ${manifest.shard.index}/${manifest.shard.count}.`);
  if (!['ok', 'failed', 'error'].includes(String(row['status']))) throw fail(`status: expected ok, failed or error, got ${JSON.stringify(row['status'])}.`);
  return row;
}

function cellOf(text: string, type: ColumnType): Cell {
  if (text === '' && type !== 'string') return null;
  if (type === 'int' || type === 'double') return text.trim() === '' ? Number.NaN : Number(text);
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : Number.NaN;
  return text;
}

/**
 * Joins the tables of a sweep's shards into the table of the whole sweep:
 * every shard of the same spec, every point exactly once, in point order.
 */
export function mergeSweepTables(tables: readonly SweepTable[], sources: readonly string[] = []): SweepTable {
  const first = tables[0];
  if (first === undefined) throw new UserError({ what: 'nothing to merge', detail: 'give the output directories of the shards.' });
  const byPoint = new Map<number, { row: TableRow; from: number }>();
  const source = (at: number) => sources[at] ?? `shard table ${at + 1}`;
  tables.forEach((table, at) => {
    if (table.manifest.specHash !== first.manifest.specHash) {
      throw new UserError({ what: 'these are shards of different sweeps', file: sources[at], detail: `its spec (${table.manifest.name}, ${table.manifest.specHash.slice(0, 12)}) differs from ${sources[0] ?? 'the first'}'s (${first.manifest.name}, ${first.manifest.specHash.slice(0, 12)}).` });
    }
    for (const row of table.rows) {
      const point = row['point'] as number;
      const earlier = byPoint.get(point);
      if (earlier === undefined) byPoint.set(point, { row, from: at });
      else if (canonicalJson(earlier.row) !== canonicalJson(row)) {
        throw new UserError({
          what: `point ${point} is in two shards with different results`,
          detail: `${differingCells(earlier.row, row, [source(earlier.from), source(at)])}. Run the point again (delete its points/<key>.json in one shard) and merge again.`,
        });
      }
    }
  });
  const missing = Array.from({ length: first.manifest.totalPoints }, (_, point) => point).filter((point) => !byPoint.has(point));
  if (missing.length > 0) {
    throw new UserError({ what: `the shards hold ${byPoint.size} of the sweep's ${first.manifest.totalPoints} points`, detail: `missing points ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}: is a shard missing or unfinished?` });
  }
  const rows = [...byPoint.keys()].sort((a, b) => a - b).map((point) => byPoint.get(point)!.row);
  return { manifest: { ...first.manifest, shard: null }, rows };
}

/** The cells two rows of one point disagree on: `name: a in A, b in B`. */
function differingCells(a: TableRow, b: TableRow, sources: readonly [string, string]): string {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((name) => a[name] !== b[name]);
  const cell = (value: TableRow[string]) => (value === null || value === undefined || value === '' ? '(empty)' : String(value));
  return names.map((name) => `${name}: ${cell(a[name])} in ${sources[0]}, ${cell(b[name])} in ${sources[1]}`).join('; ');
}

/** The objectives of a table's spec, with their units and directions. */
export function tableObjectives(table: SweepTable): Array<{ name: string; unit: string; direction: 'max' | 'min' }> {
  return table.manifest.spec.objectives.map((name) => {
    const objective = objectiveNamed(name);
    return { name, unit: objective.unit, direction: objective.direction };
  });
}
