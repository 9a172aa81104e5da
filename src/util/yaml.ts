import { readFileSync } from 'node:fs';
import { load, YAMLException } from 'js-yaml';
import { UserError } from '../errors.js';

/** Constructor of the error class a loader reports with. */
export type UserErrorClass = new (options: ConstructorParameters<typeof UserError>[0]) => UserError;

/** Reads a file as UTF-8, turning a missing or unreadable file into a user error. */
export function readTextFile(path: string, ErrorClass: UserErrorClass, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ErrorClass({ what: `cannot read ${what}`, file: path, detail: describeFsError(error) });
  }
}

/** Parses YAML text; a syntax error becomes one user error with its line and column. */
export function parseYaml(text: string, file: string, ErrorClass: UserErrorClass, what: string): unknown {
  try {
    return load(text, { filename: file });
  } catch (error) {
    if (error instanceof YAMLException) {
      const line = error.mark === undefined ? '' : ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}`;
      throw new ErrorClass({ what: `malformed YAML in ${what}`, file, detail: `${error.reason}${line}.` });
    }
    throw error;
  }
}

/** Plain-language reason for a failed file-system call. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file.';
  if (code === 'EISDIR') return 'it is a directory, not a file.';
  if (code === 'EACCES') return 'permission denied.';
  return error instanceof Error ? error.message : String(error);
}
