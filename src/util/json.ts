import { UserError } from '../errors.js';
import { readTextFile } from './yaml.js';

/** Reads and parses a JSON file; a syntax error becomes one user error naming the file. */
export function parseJsonFile(path: string, what: string): unknown {
  const text = readTextFile(path, UserError, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UserError({ what: `invalid ${what}: not JSON`, file: path, detail: `${(error as Error).message}.` });
  }
}
