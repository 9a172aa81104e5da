import { dirname, resolve } from 'node:path';
import deepmerge from 'deepmerge';
import { ConfigError } from '../errors.js';
import { parseYaml, readTextFile } from '../util/yaml.js';

/*
 * A hardware file may start from another: `extends: vhk158.yaml` (relative
 * to the file) takes every value of that file, and the keys given here
 * replace it, nested mappings key by key, lists whole. This is how a board
 * variant states only what differs, each override with its own source.
 */

export interface HardwareTree {
  /** The merged tree, without `extends`. */
  readonly tree: unknown;
  /** Every file read, the file itself first, with its text (cache keys depend on all of them). */
  readonly sources: ReadonlyArray<{ readonly path: string; readonly text: string }>;
}

const replaceLists = (_target: unknown[], source: unknown[]) => source;

export function readHardwareTree(path: string, chain: readonly string[] = []): HardwareTree {
  const text = readTextFile(path, ConfigError, 'hardware configuration');
  const raw = withDevicePathResolved(parseYaml(text, path, ConfigError, 'hardware configuration'), path);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('extends' in raw)) return { tree: raw, sources: [{ path, text }] };
  const { extends: parentName, ...own } = raw as Record<string, unknown>;
  if (typeof parentName !== 'string' || parentName === '') {
    throw new ConfigError({ what: 'invalid hardware configuration', file: path, issues: [{ path: 'extends', message: `expected the path of another hardware file, got ${JSON.stringify(parentName)}` }] });
  }
  const parentPath = resolve(dirname(path), parentName);
  const seen = [...chain, resolve(path)];
  if (seen.includes(parentPath)) {
    throw new ConfigError({ what: 'invalid hardware configuration', file: path, issues: [{ path: 'extends', message: `files extend each other in a cycle: ${[...seen, parentPath].join(' → ')}` }] });
  }
  const parent = readHardwareTree(parentPath, seen);
  if (typeof parent.tree !== 'object' || parent.tree === null || Array.isArray(parent.tree)) {
    throw new ConfigError({ what: 'invalid hardware configuration', file: path, issues: [{ path: 'extends', message: `${parentPath} is not a mapping of hardware keys` }] });
  }
  return { tree: deepmerge(parent.tree, own, { arrayMerge: replaceLists }), sources: [{ path, text }, ...parent.sources] };
}

/**
 * A board names its FPGA device by a shipped name (`device: xcu280`) or by
 * a path; a path is relative to the file that states it, so that a file
 * extending another from elsewhere still finds the device its parent names.
 */
function withDevicePathResolved(raw: unknown, path: string): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const device = (raw as { device?: unknown }).device;
  if (typeof device !== 'string' || !isPath(device)) return raw;
  return { ...raw, device: resolve(dirname(path), device) };
}

function isPath(reference: string): boolean {
  return reference.includes('/') || reference.includes('\\') || /\.ya?ml$/.test(reference);
}

/**
 * The tree with values replaced by dotted key. A key must name a value the
 * tree has, or a new key inside an existing mapping (the schema then judges
 * it), so a typo is reported rather than silently ignored.
 */
export function withOverrides(tree: unknown, overrides: Readonly<Record<string, unknown>>, file: string): unknown {
  const copy = structuredClone(tree) as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const parts = key.split('.');
    let node: unknown = copy;
    for (const part of parts.slice(0, -1)) {
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      throw new ConfigError({ what: 'invalid hardware override', file, issues: [{ path: key, message: `${parts.slice(0, -1).join('.')} is not a mapping of this hardware file` }] });
    }
    (node as Record<string, unknown>)[parts.at(-1)!] = value;
  }
  return copy;
}
