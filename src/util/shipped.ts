import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../version.js';
import type { UserErrorClass } from './yaml.js';

/*
 * Descriptions shipped with the package (hardware/u280.yaml, ir/qwen2.5-7b.yaml)
 * can be named instead of given by path, so that a notebook or a command
 * line needs no path into node_modules.
 */

/** A folder of shipped descriptions, one `<name>.yaml` each. */
export interface ShippedFolder {
  /** Below the package root, e.g. `hardware`. */
  readonly folder: string;
  /** What the files describe, for errors: `hardware configuration`. */
  readonly what: string;
  /** Files in the folder that are not descriptions of their own. */
  readonly exclude?: readonly string[];
}

/** The names of a folder's descriptions, sorted: `u250`, `u280`, … */
export function shippedNames(shipped: ShippedFolder): string[] {
  return readdirSync(folderPath(shipped))
    .filter((file) => extname(file) === '.yaml' && !(shipped.exclude ?? []).includes(file))
    .map((file) => basename(file, '.yaml'))
    .sort();
}

/**
 * The file to read for `pathOrName`: the file itself when there is one,
 * else the shipped description of that name. A bare name (no folder) that is
 * neither is refused with the shipped names; a path is returned as given,
 * for the loader to report that it cannot be read.
 */
export function resolveShipped(pathOrName: string, shipped: ShippedFolder, ErrorClass: UserErrorClass): string {
  if (isFile(pathOrName)) return pathOrName;
  const names = shippedNames(shipped);
  if (names.includes(pathOrName)) return join(folderPath(shipped), `${pathOrName}.yaml`);
  if (basename(pathOrName) !== pathOrName) return pathOrName;
  throw new ErrorClass({ what: `no ${shipped.what} "${pathOrName}"`, detail: `it is neither a file nor a shipped name; shipped: ${names.join(', ')}.` });
}

function folderPath(shipped: ShippedFolder): string {
  return fileURLToPath(new URL(`${shipped.folder}/`, PACKAGE_ROOT));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
