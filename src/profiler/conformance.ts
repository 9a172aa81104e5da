import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseProfileCsv } from './csv.js';

/*
 * Conformance against FlightLLM's own results: for every IR file that has a
 * profiler CSV beside it, our CSV must have the same instruction counts and
 * times within a relative tolerance.
 */

export interface ReferenceCase {
  readonly name: string;
  readonly irPath: string;
  readonly csvPath: string;
}

/**
 * Cases in a FlightLLM output directory: `ir_output/<name>.yaml` with a
 * matching `profiler_output/<name>.csv`, ordered by stage then token count.
 */
export function findReferenceCases(directory: string): ReferenceCase[] {
  const csvDirectory = join(directory, 'profiler_output');
  const irDirectory = join(directory, 'ir_output');
  if (!existsSync(csvDirectory) || !existsSync(irDirectory)) return [];
  return readdirSync(csvDirectory)
    .filter((file) => file.endsWith('.csv'))
    .map((file) => file.slice(0, -'.csv'.length))
    .filter((name) => existsSync(join(irDirectory, `${name}.yaml`)))
    .sort(compareCaseNames)
    .map((name) => ({ name, irPath: join(irDirectory, `${name}.yaml`), csvPath: join(csvDirectory, `${name}.csv`) }));
}

/** Orders `llama2_decode_token_144` before `llama2_decode_token_1024`. */
export function compareCaseNames(a: string, b: string): number {
  const split = (name: string) => {
    const match = /^(.*?)(\d+)$/.exec(name);
    return match === null ? ([name, 0] as const) : ([match[1]!, Number(match[2])] as const);
  };
  const [stemA, numberA] = split(a);
  const [stemB, numberB] = split(b);
  return stemA === stemB ? numberA - numberB : stemA < stemB ? -1 : 1;
}

export interface CsvComparison {
  readonly match: boolean;
  /** Byte-for-byte identical. */
  readonly identical: boolean;
  readonly totalMs: number;
  readonly referenceTotalMs: number;
  /** Largest relative difference of any time, and the rows that differ. */
  readonly worstRelativeError: number;
  readonly mismatches: readonly string[];
}

/**
 * Compares two profiler CSVs: instruction counts must be equal and every
 * time within `tolerance` relative, or within one unit of the last printed
 * digit (1e-6 ms): a time too small to carry that many significant digits
 * can round either way.
 */
export function compareProfileCsv(ours: string, reference: string, tolerance = 1e-6): CsvComparison {
  const a = parseProfileCsv(ours);
  const b = parseProfileCsv(reference);
  if (typeof a === 'string' || typeof b === 'string') {
    const reason = typeof a === 'string' ? `ours: ${a}` : `reference: ${b as string}`;
    return { match: false, identical: false, totalMs: NaN, referenceTotalMs: NaN, worstRelativeError: Infinity, mismatches: [reason] };
  }
  const mismatches: string[] = [];
  let worst = 0;
  const lastPrintedDigit = 1e-6 * (1 + 1e-9);
  for (const row of b) {
    const mine = a.find((candidate) => candidate.type === row.type);
    if (mine === undefined) {
      mismatches.push(`${row.type}: missing`);
      continue;
    }
    if (mine.count !== row.count) mismatches.push(`${row.type}: ${mine.count} instructions, reference ${row.count}`);
    const difference = Math.abs(mine.timeMs - row.timeMs);
    const relative = row.timeMs === 0 ? difference : difference / Math.abs(row.timeMs);
    worst = Math.max(worst, relative);
    if (relative > tolerance && difference > lastPrintedDigit) mismatches.push(`${row.type}: ${mine.timeMs} ms, reference ${row.timeMs} ms`);
  }
  const total = (rows: typeof a) => rows.find((row) => row.type === 'TOTAL')?.timeMs ?? NaN;
  return { match: mismatches.length === 0, identical: ours === reference, totalMs: total(a), referenceTotalMs: total(b), worstRelativeError: worst, mismatches };
}
