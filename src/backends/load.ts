import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type Issue } from '../errors.js';
import { ContentCache } from '../util/cache.js';
import { deepFreeze } from '../util/freeze.js';
import { contentHash } from '../util/hash.js';
import { resolveShipped, shippedNames, type ShippedFolder } from '../util/shipped.js';
import { parseYaml, readTextFile } from '../util/yaml.js';
import { readHardwareTree, withOverrides, type HardwareTree } from '../hardware/extends.js';
import { zodIssues } from '../util/zod-issues.js';
import { PACKAGE_ROOT, TOOL_VERSION } from '../version.js';
import { hasExpressions, resolveExpressions } from '../hardware/expressions.js';
import { FlightLlmConfigSchema, fromFlightLlmConfig, isFlightLlmConfig } from './flightllm/config.js';
import { checkHardware, parseBoard, withDefaultKind, type Hardware } from './registry.js';

/** Bump when the shape `loadHardware` returns changes, so cached results are not reused. */
const CACHE_REVISION = 4;

export interface LoadHardwareOptions {
  /** Reuse the validated result of an identical file; keyed by the file's content. */
  readonly cache?: ContentCache | undefined;
  /** Values replacing the file's, by dotted key (`hbm.bandwidthGiBps`), applied before expressions are evaluated. */
  readonly overrides?: Readonly<Record<string, unknown>> | undefined;
}

/** The boards in hardware/; flightllm-profiler.yaml only completes FlightLLM's config.yaml. */
const SHIPPED_HARDWARE: ShippedFolder = { folder: 'hardware', what: 'hardware configuration', exclude: ['flightllm-profiler.yaml'] };

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
  return readHardwareTree(resolveShipped(pathOrName, SHIPPED_HARDWARE, ConfigError)).sources;
}

/**
 * Reads a hardware description: our own schema (hardware/*.yaml, which may
 * extend another file) or FlightLLM's flat config.yaml, given by path or by
 * the name of a shipped board (`u280`). Expressions are evaluated and every
 * consistency rule checked; all problems are reported in one ConfigError.
 */
export function loadHardware(pathOrName: string, options: LoadHardwareOptions = {}): Hardware {
  const path = resolveShipped(pathOrName, SHIPPED_HARDWARE, ConfigError);
  const { tree: fileTree, sources } = readHardwareTree(path);
  const overrides = options.overrides ?? {};
  const tree = Object.keys(overrides).length === 0 ? fileTree : withOverrides(fileTree, overrides, path);
  const key = contentHash(
    TOOL_VERSION,
    String(CACHE_REVISION),
    path.endsWith('.yaml') || path.endsWith('.yml') ? 'yaml' : 'other',
    // Entries, with undefined kept: removing a key is an override too.
    JSON.stringify(Object.entries(overrides).map(([key, value]) => [key, value === undefined ? { removed: true } : value])),
    ...sources.flatMap((source) => [source.path, source.text]),
  );
  const cached = options.cache?.get<Hardware>('hardware', key);
  if (cached !== undefined) return deepFreeze(cached);
  const hardware = parseHardware(tree, { file: path, name: basename(path).replace(/\.ya?ml$/, '') });
  options.cache?.set('hardware', key, hardware);
  return hardware;
}

/**
 * Validates an in-memory hardware description (for instance one built in a
 * notebook). Accepts the same two formats as `loadHardware`.
 */
export function parseHardware(raw: unknown, options: { file?: string; name?: string } = {}): Hardware {
  const tree = isFlightLlmConfig(raw) ? mapFlightLlm(raw, options) : withDefaultKind(raw);
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
