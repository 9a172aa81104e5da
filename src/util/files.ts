import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OutputError } from '../errors.js';
import { describeFsError } from './yaml.js';

/**
 * Writes a file so that readers never see it half-written: the data goes to a
 * temporary file in the same directory, which is then renamed over the target.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    // A path the user gave that cannot be written is theirs to fix: one clear error, never a stack.
    throw new OutputError({ what: 'cannot write output', file: path, detail: describeFsError(error) });
  }
}
