import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { CacheRejection } from '../util/cache.js';
import { writeFileAtomic } from '../util/files.js';
import { formatFixed } from '../util/format.js';
import { contentHash } from '../util/hash.js';
import { parseProfileCsv } from './csv.js';

/*
 * Per-length results kept where FlightLLM keeps them: one profiler CSV per
 * IR, `profiler_output/<model>_<stage>_token_<N>.csv`. Beside them,
 * `.inputs.json` records, per CSV, the content hash of everything it was
 * computed from, its end-to-end latency at full precision (the CSV prints
 * six decimals) and its physical bound. A result is reused only when that hash matches the present
 * inputs, never because the file exists, and only when its record is intact
 * (a digest of its figures) and agrees with its CSV.
 */

const MANIFEST = '.inputs.json';

/** What is kept of one length besides its CSV. */
export interface StoredResult {
  readonly totalMs: number;
  readonly boundMs: number;
  /** Energy of the step, J; absent where the board describes no energy. */
  readonly joules?: number | undefined;
}

const positive = z.number().finite().positive();

/** One length's record in `.inputs.json`; `sha256` is a digest of the others, so an edited figure is noticed. */
const EntrySchema = z.strictObject({ key: z.string().min(1), totalMs: positive, boundMs: positive, joules: z.number().finite().nonnegative().optional(), sha256: z.string() });
type Entry = z.infer<typeof EntrySchema>;

export interface ResultStoreOptions {
  /** Recompute everything, ignoring what is stored. */
  readonly force?: boolean | undefined;
  /** Told of each stored result refused on reading (it is computed again). */
  readonly onRejected?: ((rejection: CacheRejection) => void) | undefined;
}

export class ResultStore {
  private readonly manifest: Record<string, Entry>;
  private changed = false;
  private readonly force: boolean;

  constructor(
    readonly directory: string,
    private readonly options: ResultStoreOptions = {},
  ) {
    this.force = options.force === true;
    this.manifest = this.readManifest(join(directory, MANIFEST));
  }

  /**
   * The stored latency and bound of `name`, if they were computed from
   * inputs hashing to `key`, its record is intact and its CSV shows the same
   * latency; a record that fails is dropped, reported, and computed again.
   */
  lookup(name: string, key: string): StoredResult | undefined {
    const entry = this.manifest[name];
    if (this.force || entry?.key !== key) return undefined;
    const reason = entry.sha256 !== entryDigest(entry) ? 'its figures do not match their digest (edited?)' : csvDisagrees(this.csvPath(name), entry.totalMs);
    if (reason !== undefined) {
      this.drop(name, reason);
      return undefined;
    }
    return { totalMs: entry.totalMs, boundMs: entry.boundMs, ...(entry.joules === undefined ? {} : { joules: entry.joules }) };
  }

  store(name: string, key: string, result: StoredResult & { csv: string }): void {
    writeFileAtomic(this.csvPath(name), result.csv);
    const entry = { key, totalMs: result.totalMs, boundMs: result.boundMs, ...(result.joules === undefined ? {} : { joules: result.joules }) };
    this.manifest[name] = { ...entry, sha256: entryDigest(entry) };
    this.changed = true;
  }

  /** Writes the manifest if anything was stored or dropped. */
  flush(): void {
    if (this.changed) writeFileAtomic(join(this.directory, MANIFEST), `${JSON.stringify(this.manifest, null, 1)}\n`);
    this.changed = false;
  }

  csvPath(name: string): string {
    return join(this.directory, `${name}.csv`);
  }

  private drop(name: string, reason: string): void {
    delete this.manifest[name];
    this.changed = true;
    this.options.onRejected?.({ path: `${join(this.directory, MANIFEST)} (${name})`, reason });
  }

  /** The manifest's valid records; each invalid one (or an unreadable manifest) is reported and left out. */
  private readManifest(path: string): Record<string, Entry> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.options.onRejected?.({ path, reason: 'not JSON' });
      return {};
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      this.options.onRejected?.({ path, reason: 'not a mapping of lengths' });
      return {};
    }
    const entries: Record<string, Entry> = {};
    for (const [name, value] of Object.entries(parsed)) {
      const entry = EntrySchema.safeParse(value);
      if (entry.success) entries[name] = entry.data;
      else {
        this.options.onRejected?.({ path: `${path} (${name})`, reason: entry.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') });
        this.changed = true;
      }
    }
    return entries;
  }
}

function entryDigest(entry: Omit<Entry, 'sha256'>): string {
  return contentHash(JSON.stringify([entry.key, entry.totalMs, entry.boundMs, entry.joules ?? null]));
}

/** Why the CSV beside a record cannot be trusted: missing, unreadable, or a TOTAL other than the record's latency as the CSV prints it. */
function csvDisagrees(path: string, totalMs: number): string | undefined {
  if (!existsSync(path)) return `its CSV ${path} is missing`;
  const rows = parseProfileCsv(readFileSync(path, 'utf8'));
  if (typeof rows === 'string') return `its CSV ${path} is damaged: ${rows}`;
  const total = rows.find((row) => row.type === 'TOTAL');
  if (total === undefined || formatFixed(total.timeMs) !== formatFixed(totalMs)) return `its CSV ${path} shows another latency than its record`;
  return undefined;
}
