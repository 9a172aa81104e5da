import { readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ZodType } from 'zod';
import { writeFileAtomic } from './files.js';
import { contentHash } from './hash.js';

/**
 * How a reader checks what it reads back: the value, or why it is refused.
 * Usually the schema the value was validated with when it was written.
 */
export type CacheCheck<T> = (value: unknown) => { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** A check by a zod schema: the first issue is the reason. */
export function schemaCheck<T>(schema: ZodType<T>): CacheCheck<T> {
  return (value) => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return { ok: true, value: parsed.data };
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `${issue?.path.join('.') || '(the value)'}: ${issue?.message ?? 'invalid'}` };
  };
}

/** A cache entry refused on reading, and why; it has been removed, and the value is computed again. */
export interface CacheRejection {
  readonly path: string;
  readonly reason: string;
}

export interface ContentCacheOptions {
  /** Told of each entry refused on reading (once: the entry is removed). */
  readonly onRejected?: ((rejection: CacheRejection) => void) | undefined;
}

/**
 * A store of JSON values addressed by the hash of what produced them. Nothing
 * here trusts a file merely existing: the key is the content hash of every
 * input, so a changed input is a different key; and nothing is trusted
 * merely because it parses: an entry's first line holds its key and the
 * SHA-256 of the value's text, and the reader's check (its schema) judges
 * the value. An entry that fails is removed, reported through `onRejected`,
 * and read as absent, so the caller computes the value again.
 */
export class ContentCache {
  constructor(
    readonly directory: string,
    private readonly options: ContentCacheOptions = {},
  ) {}

  /** The value stored under `key` in `kind` if it passes `check`; undefined when absent or refused. */
  get<T>(kind: string, key: string, check: CacheCheck<T>): T | undefined {
    const path = this.pathOf(kind, key);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
    const read = readEntry(text, key);
    const checked = 'reason' in read ? read : check(read.value);
    if (checked.ok === true) return checked.value;
    this.reject(path, checked.reason);
    return undefined;
  }

  set(kind: string, key: string, value: unknown): void {
    const body = JSON.stringify(value);
    try {
      writeFileAtomic(this.pathOf(kind, key), `${JSON.stringify({ key, sha256: contentHash(body) })}\n${body}`);
    } catch {
      // A cache that cannot be written only costs time; the result is still correct.
    }
  }

  private reject(path: string, reason: string): void {
    rmSync(path, { force: true });
    this.options.onRejected?.({ path, reason });
  }

  private pathOf(kind: string, key: string): string {
    return join(this.directory, kind, `${key}.json`);
  }
}

/** An entry's value if its header names `key` and its digest matches the value's text. */
function readEntry(text: string, key: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  const newline = text.indexOf('\n');
  const header = parseHeader(newline < 0 ? text : text.slice(0, newline));
  if (header === undefined) return { ok: false, reason: 'no header line (key and digest): written by an older version, or damaged' };
  if (header.key !== key) return { ok: false, reason: 'its header names another key' };
  const body = newline < 0 ? '' : text.slice(newline + 1);
  if (header.sha256 !== contentHash(body)) return { ok: false, reason: 'its value does not match its digest (truncated or edited)' };
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false, reason: 'its value is not JSON' };
  }
}

function parseHeader(line: string): { key: string; sha256: string } | undefined {
  try {
    const header = JSON.parse(line) as { key?: unknown; sha256?: unknown } | null;
    return typeof header?.key === 'string' && typeof header.sha256 === 'string' ? { key: header.key, sha256: header.sha256 } : undefined;
  } catch {
    return undefined;
  }
}

/** `$FPGA_LLM_SIM_CACHE`, else `$XDG_CACHE_HOME/fpga-llm-sim`, else `~/.cache/fpga-llm-sim`, in `env` (default: the process's). */
export function defaultCacheDirectory(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const explicit = env['FPGA_LLM_SIM_CACHE'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'fpga-llm-sim');
}
