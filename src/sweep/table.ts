import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../util/files.js';
import { contentHash } from '../util/hash.js';
import { TOOL_VERSION } from '../version.js';
import { objectiveNamed } from './objectives.js';
import { axisColumns, sweepPoints, type Scalar, type Shard } from './points.js';
import { canonicalJson } from './prepare.js';
import type { SweepResult } from './run.js';
import { reportedObjectives, type SweepSpec } from './spec.js';

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
  const points = sweepPoints(spec);
  const axis = (name: string): Column => ({ name, type: typeOfValues(points.map((point) => point.columns[name]!)) });
  return [
    { name: 'point', type: 'int' },
    ...axisColumns(spec).map(axis),
    { name: 'status', type: 'string' },
    { name: 'fits', type: 'boolean' },
    ...reportedObjectives(spec).map((name): Column => ({ name, type: 'double' })),
    { name: 'error', type: 'string' },
    { name: 'key', type: 'string' },
  ];
}

function typeOfValues(values: readonly Scalar[]): ColumnType {
  if (values.every((value) => typeof value === 'number')) return 'double';
  if (values.every((value) => typeof value === 'boolean')) return 'boolean';
  return 'string';
}

/** results.csv, results.parquet and sweep.json in `directory`, each written whole. */
export async function writeSweepTable(directory: string, table: SweepTable): Promise<void> {
  writeFileAtomic(join(directory, RESULTS_CSV), tableCsv(table));
  writeFileAtomic(join(directory, RESULTS_PARQUET), await tableParquet(table));
  writeFileAtomic(join(directory, MANIFEST), `${JSON.stringify(table.manifest, null, 1)}\n`);
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
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SweepManifest;
  const [header, ...records] = parseCsv(readFileSync(csvPath, 'utf8'), { relax_column_count: false }) as string[][];
  const names = manifest.columns.map((column) => column.name);
  if (header?.join(',') !== names.join(',')) throw new UserError({ what: 'results.csv does not match sweep.json', file: csvPath, detail: `expected the columns ${names.join(', ')}.` });
  const rows = records.map((record) => Object.fromEntries(manifest.columns.map((column, at) => [column.name, cellOf(record[at]!, column.type)])));
  return { manifest, rows };
}

function cellOf(text: string, type: ColumnType): Cell {
  if (text === '' && type !== 'string') return null;
  if (type === 'int' || type === 'double') return Number(text);
  if (type === 'boolean') return text === 'true';
  return text;
}

/**
 * Joins the tables of a sweep's shards into the table of the whole sweep:
 * every shard of the same spec, every point exactly once, in point order.
 */
export function mergeSweepTables(tables: readonly SweepTable[], sources: readonly string[] = []): SweepTable {
  const first = tables[0];
  if (first === undefined) throw new UserError({ what: 'nothing to merge', detail: 'give the output directories of the shards.' });
  const byPoint = new Map<number, TableRow>();
  tables.forEach((table, at) => {
    if (table.manifest.specHash !== first.manifest.specHash) {
      throw new UserError({ what: 'these are shards of different sweeps', file: sources[at], detail: `its spec (${table.manifest.name}, ${table.manifest.specHash.slice(0, 12)}) differs from ${sources[0] ?? 'the first'}'s (${first.manifest.name}, ${first.manifest.specHash.slice(0, 12)}).` });
    }
    for (const row of table.rows) if (!byPoint.has(row['point'] as number)) byPoint.set(row['point'] as number, row);
  });
  const missing = Array.from({ length: first.manifest.totalPoints }, (_, point) => point).filter((point) => !byPoint.has(point));
  if (missing.length > 0) {
    throw new UserError({ what: `the shards hold ${byPoint.size} of the sweep's ${first.manifest.totalPoints} points`, detail: `missing points ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}: is a shard missing or unfinished?` });
  }
  const rows = [...byPoint.keys()].sort((a, b) => a - b).map((point) => byPoint.get(point)!);
  return { manifest: { ...first.manifest, shard: null }, rows };
}

/** The objectives of a table's spec, with their units and directions. */
export function tableObjectives(table: SweepTable): Array<{ name: string; unit: string; direction: 'max' | 'min' }> {
  return table.manifest.spec.objectives.map((name) => {
    const objective = objectiveNamed(name);
    return { name, unit: objective.unit, direction: objective.direction };
  });
}
