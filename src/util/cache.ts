import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';

/**
 * A store of JSON values addressed by the hash of what produced them. Nothing
 * here trusts a file merely existing: the key is the content hash of every
 * input, so a changed input is a different key.
 */
export class ContentCache {
  constructor(readonly directory: string) {}

  /** The value stored under `key` in `kind`, or undefined when absent or unreadable. */
  get<T>(kind: string, key: string): T | undefined {
    try {
      return JSON.parse(readFileSync(this.pathOf(kind, key), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  set(kind: string, key: string, value: unknown): void {
    try {
      writeFileAtomic(this.pathOf(kind, key), JSON.stringify(value));
    } catch {
      // A cache that cannot be written only costs time; the result is still correct.
    }
  }

  private pathOf(kind: string, key: string): string {
    return join(this.directory, kind, `${key}.json`);
  }
}

/** `$FPGA_LLM_SIM_CACHE`, else `$XDG_CACHE_HOME/fpga-llm-sim`, else `~/.cache/fpga-llm-sim`, in `env` (default: the process's). */
export function defaultCacheDirectory(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const explicit = env['FPGA_LLM_SIM_CACHE'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'fpga-llm-sim');
}
