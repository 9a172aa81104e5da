import { join } from 'node:path';
import type { ContentCache } from '../util/cache.js';
import { writeFileAtomic } from '../util/files.js';

/*
 * Per-length results: each length's profiler CSV, end-to-end latency at full
 * precision (the CSV prints six decimals), physical bound and energy, kept in
 * the cache directory under the content hash of everything they were
 * computed from (model, board, masks, tool version). Two boards' results of
 * the same length are two entries, so switching boards and back recomputes
 * nothing. A result is reused only when that hash matches the present
 * inputs, never because a file exists. Where the user asks for them
 * (`--out-dir`), the CSVs of the run are also written as FlightLLM names
 * them, `<dir>/<model>_<stage>_token_<N>.csv`.
 */

/** The cache's kind for per-length results. */
const KIND = 'profile-length';

/** What is kept of one length besides its CSV. */
export interface StoredResult {
  readonly totalMs: number;
  readonly boundMs: number;
  /** Energy of the step, J; absent where the board describes no energy. */
  readonly joules?: number | undefined;
}

interface Entry extends StoredResult {
  readonly csv: string;
}

export interface ResultStoreOptions {
  /** Where results are kept between runs; none are kept when undefined. */
  readonly cache?: ContentCache | undefined;
  /** Where each length's CSV of this run is written (FlightLLM's names); none are when undefined. */
  readonly csvDirectory?: string | undefined;
  /** Recompute everything, ignoring what is stored. */
  readonly force?: boolean | undefined;
}

export class ResultStore {
  constructor(private readonly options: ResultStoreOptions = {}) {}

  /** The stored latency and bound of `name`, if they were computed from inputs hashing to `key` (its CSV is then written where asked). */
  lookup(name: string, key: string): StoredResult | undefined {
    if (this.options.force === true) return undefined;
    const entry = this.options.cache?.get(KIND, key, checkEntry);
    if (entry === undefined) return undefined;
    this.writeCsv(name, entry.csv);
    return { totalMs: entry.totalMs, boundMs: entry.boundMs, ...(entry.joules === undefined ? {} : { joules: entry.joules }) };
  }

  store(name: string, key: string, result: StoredResult & { csv: string }): void {
    const entry: Entry = { csv: result.csv, totalMs: result.totalMs, boundMs: result.boundMs, ...(result.joules === undefined ? {} : { joules: result.joules }) };
    this.options.cache?.set(KIND, key, entry);
    this.writeCsv(name, result.csv);
  }

  /** Where `name`'s CSV is written, when the store writes CSVs. */
  csvPath(name: string): string | undefined {
    return this.options.csvDirectory === undefined ? undefined : join(this.options.csvDirectory, `${name}.csv`);
  }

  private writeCsv(name: string, csv: string): void {
    const path = this.csvPath(name);
    if (path !== undefined) writeFileAtomic(path, csv);
  }
}

/** A stored result must have the shape it was written with; one that does not is refused and computed again. */
function checkEntry(value: unknown): { ok: true; value: Entry } | { ok: false; reason: string } {
  return isEntry(value) ? { ok: true, value } : { ok: false, reason: 'not a profile result (csv, totalMs, boundMs, joules)' };
}

function isEntry(value: unknown): value is Entry {
  const entry = value as Partial<Entry> | undefined;
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  return typeof entry?.csv === 'string' && finite(entry.totalMs) && entry.totalMs > 0 && finite(entry.boundMs) && entry.boundMs > 0 && (entry.joules === undefined || (finite(entry.joules) && entry.joules >= 0));
}
