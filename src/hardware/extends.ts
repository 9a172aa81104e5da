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

/** Names an override may not use: they reach what every object inherits, never a key of the file. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

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
 * it), so a typo is reported rather than silently ignored. Only the tree's
 * own keys are followed: `__proto__.x` is refused, never written into
 * every object's prototype.
 */
export function withOverrides(tree: unknown, overrides: Readonly<Record<string, unknown>>, file: string): unknown {
  const copy = structuredClone(tree) as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const parts = key.split('.');
    const unsafe = parts.find((part) => UNSAFE_KEYS.has(part));
    if (unsafe !== undefined) throw new ConfigError({ what: 'invalid hardware override', file, issues: [{ path: key, message: `"${unsafe}" is not a key a hardware file can have` }] });
    const node = parts.slice(0, -1).reduce<unknown>((at, part) => (isMapping(at) && Object.hasOwn(at, part) ? at[part] : undefined), copy);
    if (!isMapping(node)) {
      throw new ConfigError({ what: 'invalid hardware override', file, issues: [{ path: key, message: `${parts.slice(0, -1).join('.')} is not a mapping of this hardware file` }] });
    }
    node[parts.at(-1)!] = value;
  }
  return copy;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
