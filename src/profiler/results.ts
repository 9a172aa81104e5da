import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProfileCsv } from '../simulator/index.js';
import { writeFileAtomic } from '../util/files.js';

/*
 * Per-length results kept where FlightLLM keeps them: one profiler CSV per
 * IR, `profiler_output/<model>_<stage>_token_<N>.csv`. Beside them,
 * `.inputs.json` records the content hash of everything each CSV was
 * computed from; a CSV is reused only when that hash matches the present
 * inputs, never because the file exists.
 */

const MANIFEST = '.inputs.json';

export class ResultStore {
  private readonly manifest: Record<string, string>;
  private changed = false;

  constructor(
    readonly directory: string,
    /** Recompute everything, ignoring what is stored. */
    private readonly force = false,
  ) {
    this.manifest = readManifest(join(directory, MANIFEST));
  }

  /** The stored end-to-end latency of `name`, if it was computed from inputs hashing to `key`. */
  lookup(name: string, key: string): number | undefined {
    if (this.force || this.manifest[name] !== key) return undefined;
    try {
      const rows = parseProfileCsv(readFileSync(this.csvPath(name), 'utf8'));
      return Array.isArray(rows) ? rows.find((row) => row.type === 'TOTAL')?.timeMs : undefined;
    } catch {
      return undefined;
    }
  }

  store(name: string, key: string, csv: string): void {
    writeFileAtomic(this.csvPath(name), csv);
    this.manifest[name] = key;
    this.changed = true;
  }

  /** Writes the manifest if anything was stored. */
  flush(): void {
    if (this.changed) writeFileAtomic(join(this.directory, MANIFEST), `${JSON.stringify(this.manifest, null, 1)}\n`);
    this.changed = false;
  }

  csvPath(name: string): string {
    return join(this.directory, `${name}.csv`);
  }
}

function readManifest(path: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}
