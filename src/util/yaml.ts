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

/**
 * Most values a YAML document may hold, counting what every alias repeats
 * as often as it is repeated. An alias is a reference, so a few hundred
 * bytes of aliases to aliases ("billion laughs") describe 10^9 values that
 * every later walk of the tree visits; the largest file this project reads
 * (a 2048-token IR of LLaMA2-7B) holds about 27,000.
 */
export const MAX_YAML_NODES = 1_000_000;

/** Parses YAML text; a syntax error, or a document larger than MAX_YAML_NODES once its aliases are expanded, becomes one user error. */
export function parseYaml(text: string, file: string, ErrorClass: UserErrorClass, what: string): unknown {
  let value: unknown;
  try {
    value = load(text, { filename: file });
  } catch (error) {
    if (error instanceof YAMLException) {
      const line = error.mark === undefined ? '' : ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}`;
      throw new ErrorClass({ what: `malformed YAML in ${what}`, file, detail: `${error.reason}${line}.` });
    }
    throw error;
  }
  if (exceedsNodes(value, MAX_YAML_NODES)) {
    throw new ErrorClass({ what: `${what} too large`, file, detail: `it holds more than ${MAX_YAML_NODES.toLocaleString('en-US')} values once its aliases (*name) are expanded (MAX_YAML_NODES).` });
  }
  return value;
}

/** A YAML scalar or flow value given on the command line (`--set key=VALUE`), held to the same limit as a file. */
export function parseYamlValue(text: string): unknown {
  let value: unknown;
  try {
    value = load(text);
  } catch (error) {
    throw error instanceof YAMLException ? new Error(error.reason) : error;
  }
  if (exceedsNodes(value, MAX_YAML_NODES)) throw new Error(`the value holds more than ${MAX_YAML_NODES} values once its aliases are expanded (MAX_YAML_NODES)`);
  return value;
}

/** True if the tree has more than `limit` values, each alias counted every time it is reached; stops counting at the limit. */
export function exceedsNodes(tree: unknown, limit: number): boolean {
  const stack: unknown[] = [tree];
  let count = 0;
  while (stack.length > 0) {
    const node = stack.pop();
    if (++count > limit) return true;
    // One at a time: spreading a long list into push() would overflow the stack.
    if (typeof node === 'object' && node !== null) for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push(child);
  }
  return false;
}

/** Plain-language reason for a failed file-system call. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file.';
  if (code === 'EISDIR') return 'it is a directory, not a file.';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied.';
  if (code === 'ENOTDIR') return 'a part of the path is a file, not a directory.';
  if (code === 'EROFS') return 'the file system is read-only.';
  if (code === 'ENOSPC') return 'no space left on the device.';
  return error instanceof Error ? error.message : String(error);
}
