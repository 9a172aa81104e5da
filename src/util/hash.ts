import { createHash } from 'node:crypto';

/** Hex SHA-256 over the given parts, each length-prefixed so that part boundaries count. */
export function contentHash(...parts: ReadonlyArray<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    hash.update(`${bytes.byteLength}:`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}
