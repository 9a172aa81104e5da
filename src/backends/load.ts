import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type Issue } from '../errors.js';
import type { CacheCheck, ContentCache } from '../util/cache.js';
import { deepFreeze } from '../util/freeze.js';
import { contentHash } from '../util/hash.js';
import { resolveShipped, shippedNames, type ShippedFolder } from '../util/shipped.js';
import { parseYaml, readTextFile } from '../util/yaml.js';
import { readHardwareTree, withOverrides, type HardwareTree } from '../hardware/extends.js';
import { zodIssues } from '../util/zod-issues.js';
import { PACKAGE_ROOT, TOOL_VERSION } from '../version.js';
import { hasExpressions, resolveExpressions } from '../hardware/expressions.js';
import { FlightLlmConfigSchema, fromFlightLlmConfig, isFlightLlmConfig } from './flightllm/config.js';
import { FpgaDeviceSchema } from './fpga-device.js';
import { checkHardware, DEFAULT_KIND, parseBoard, withDefaultKind, type Hardware } from './registry.js';
import { loadStack, stackOverrides } from './roofline/stack.js';

/** Bump when the shape `loadHardware` returns changes, so cached results are not reused. */
const CACHE_REVISION = 5;

export interface LoadHardwareOptions {
  /** Reuse the validated result of an identical file; keyed by the file's content. */
  readonly cache?: ContentCache | undefined;
  /** Values replacing the file's, by dotted key (`hbm.bandwidthGiBps`), applied before expressions are evaluated. */
  readonly overrides?: Readonly<Record<string, unknown>> | undefined;
  /** A software stack (hardware/stacks/<name>.yaml, or a path) whose values replace the board's before `overrides` do; GPUs and ASICs only. */
  readonly stack?: string | undefined;
}

/** The boards in hardware/; flightllm-profiler.yaml only completes FlightLLM's config.yaml. */
const SHIPPED_HARDWARE: ShippedFolder = { folder: 'hardware', what: 'hardware configuration', exclude: ['flightllm-profiler.yaml'] };

/** FPGA devices a board names (`device: xcu280`): hardware/devices/<name>.yaml. */
const SHIPPED_DEVICES: ShippedFolder = { folder: 'hardware/devices', what: 'FPGA device' };

/** The devices a board may name without a path: `xcu250`, `xcu280`, `xcv80`, `xcvh1582`. */
export function shippedDeviceNames(): string[] {
  return shippedNames(SHIPPED_DEVICES);
}

/** The boards that `loadHardware` takes by name: `u250`, `u280`, `v80`, `vhk158`. */
export function shippedHardwareNames(): string[] {
  return shippedNames(SHIPPED_HARDWARE);
}

/** The file a hardware path or shipped board name refers to. */
export function hardwarePath(pathOrName: string): string {
  return resolveShipped(pathOrName, SHIPPED_HARDWARE, ConfigError);
}

/** Every file a board is read from (its own, then each it extends) with its text: what a result computed on the board depends on. */
export function hardwareSources(pathOrName: string): HardwareTree['sources'] {
  return readBoardTree(resolveShipped(pathOrName, SHIPPED_HARDWARE, ConfigError)).sources;
}

/** A board file with the files it extends merged in, and the device it names read in place of its name. */
function readBoardTree(path: string): HardwareTree {
  const { tree, sources } = readHardwareTree(path);
  const device = readDevice(tree);
  return device === undefined ? { tree, sources } : { tree: device.tree, sources: [...sources, device.source] };
}

/**
 * The tree with the FPGA device it names (`device: xcu280`, or a path) read
 * in place of the name, and the device file; undefined where the tree names
 * none. The device file is checked on its own first, so that a mistake in
 * it is reported against it rather than against the board.
 */
function readDevice(tree: unknown): { tree: unknown; source: HardwareTree['sources'][number] } | undefined {
  const device = typeof tree === 'object' && tree !== null && !Array.isArray(tree) ? (tree as { device?: unknown }).device : undefined;
  if (typeof device !== 'string') return undefined;
  const devicePath = resolveShipped(device, SHIPPED_DEVICES, ConfigError);
  const text = readTextFile(devicePath, ConfigError, 'FPGA device');
  const raw = parseYaml(text, devicePath, ConfigError, 'FPGA device');
  const parsed = FpgaDeviceSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError({ what: 'invalid FPGA device', file: devicePath, issues: zodIssues(parsed.error) });
  return { tree: { ...(tree as Record<string, unknown>), device: raw }, source: { path: devicePath, text } };
}

/**
 * Reads a hardware description: our own schema (hardware/*.yaml, which may
 * extend another file) or FlightLLM's flat config.yaml, given by path or by
 * the name of a shipped board (`u280`). Expressions are evaluated and every
 * consistency rule checked; all problems are reported in one ConfigError.
 */
export function loadHardware(pathOrName: string, options: LoadHardwareOptions = {}): Hardware {
  const path = resolveShipped(pathOrName, SHIPPED_HARDWARE, ConfigError);
  const { tree: fileTree, sources } = readBoardTree(path);
  const overrides = { ...stackValues(fileTree, path, options.stack), ...options.overrides };
  const tree = Object.keys(overrides).length === 0 ? fileTree : withOverrides(fileTree, overrides, path);
  const key = contentHash(
    TOOL_VERSION,
    String(CACHE_REVISION),
    path.endsWith('.yaml') || path.endsWith('.yml') ? 'yaml' : 'other',
    // Entries, with undefined kept: removing a key is an override too.
    JSON.stringify(Object.entries(overrides).map(([key, value]) => [key, value === undefined ? { removed: true } : value])),
    ...sources.flatMap((source) => [source.path, source.text]),
  );
  const cached = options.cache?.get('hardware', key, checkBoard);
  if (cached !== undefined) return deepFreeze(cached);
  const hardware = parseHardware(tree, { file: path, name: basename(path).replace(/\.ya?ml$/, '') });
  options.cache?.set('hardware', key, hardware);
  return hardware;
}

/** A cached board passes only what a freshly loaded one passed: its kind's schema and consistency rules. */
const checkBoard: CacheCheck<Hardware> = (value) => {
  const parsed = parseBoard(value);
  const issues = parsed.board === undefined ? parsed.issues : checkHardware(parsed.board);
  return issues.length === 0 ? { ok: true, value: parsed.board! } : { ok: false, reason: `${issues[0]!.path}: ${issues[0]!.message}` };
};

/** The values a stack sets on a board, refused for a board that is not a GPU or ASIC. */
function stackValues(tree: unknown, path: string, stack: string | undefined): Record<string, unknown> {
  if (stack === undefined) return {};
  const kind = typeof tree === 'object' && tree !== null ? (tree as { kind?: unknown }).kind : undefined;
  if (kind !== 'roofline') {
    throw new ConfigError({ what: `--stack ${stack} applies to GPUs and ASICs (kind: roofline)`, file: path, detail: `this board is of kind ${String(kind ?? DEFAULT_KIND)}, whose software is part of its architecture.` });
  }
  return stackOverrides(loadStack(stack));
}

/**
 * Validates an in-memory hardware description (for instance one built in a
 * notebook). Accepts the same two formats as `loadHardware`.
 */
export function parseHardware(raw: unknown, options: { file?: string; name?: string } = {}): Hardware {
  // A description built in memory may name its device as a file does (a shipped name, or a path).
  const named = readDevice(raw)?.tree ?? raw;
  const tree = isFlightLlmConfig(named) ? mapFlightLlm(named, options) : withDefaultKind(named);
  let resolved = tree;
  if (hasExpressions(tree)) {
    const result = resolveExpressions(tree);
    throwIfAny(result.issues, options.file, 'invalid expression in hardware configuration');
    resolved = result.value;
  }
  const parsed = parseBoard(resolved);
  throwIfAny(parsed.issues, options.file, 'invalid hardware configuration');
  const hardware = parsed.board!;
  throwIfAny(checkHardware(hardware), options.file, 'inconsistent hardware configuration');
  return deepFreeze(hardware);
}

function mapFlightLlm(raw: unknown, options: { file?: string; name?: string }): unknown {
  const parsed = FlightLlmConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throwIfAny(zodIssues(parsed.error), options.file, 'invalid FlightLLM configuration');
  const defaults = flightLlmProfilerDefaults();
  return fromFlightLlmConfig(parsed.data!, `flightllm-${options.name ?? 'config'}`, defaults);
}

let profilerDefaults: Record<string, unknown> | undefined;

/** hardware/flightllm-profiler.yaml: what FlightLLM's profiler hard-codes. */
function flightLlmProfilerDefaults(): Record<string, unknown> {
  if (profilerDefaults === undefined) {
    const path = fileURLToPath(new URL('hardware/flightllm-profiler.yaml', PACKAGE_ROOT));
    profilerDefaults = parseYaml(readTextFile(path, ConfigError, 'FlightLLM profiler defaults'), path, ConfigError, 'FlightLLM profiler defaults') as Record<string, unknown>;
  }
  return profilerDefaults;
}

function throwIfAny(issues: readonly Issue[], file: string | undefined, what: string): void {
  if (issues.length > 0) throw new ConfigError({ what, file, issues });
}
