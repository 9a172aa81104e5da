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

/** JSON with every object's keys sorted, so that equal inputs written in another order hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, item: unknown) =>
    typeof item === 'object' && item !== null && !Array.isArray(item) ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : item,
  );
}
