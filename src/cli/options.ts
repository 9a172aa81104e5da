import { InvalidArgumentError } from 'commander';
import { shippedHardwareNames, shippedStackNames } from '../backends/index.js';
import { parseExpertLoad, shippedModelNames, withExpertLoad, type ExpertLoad, type Model } from '../model/index.js';
import { MAX_THREADS_PER_CORE, maxThreads } from '../profiler/pool.js';
import { ContentCache, defaultCacheDirectory, type CacheRejection } from '../util/cache.js';
import { parseYamlValue } from '../util/yaml.js';
import type { CliIo, CliOutput } from './io.js';

/** The board every command simulates unless told otherwise. */
export const DEFAULT_HARDWARE = 'vhk158';

/** Help text of an option taking hardware files or shipped boards by name. */
export function hardwareHelp(what = 'hardware configuration'): string {
  return `${what}: a file (ours, or FlightLLM's config.yaml) or a shipped board by name (${shippedHardwareNames().join(', ')})`;
}

/** Help text of `--stack`: a GPU's or ASIC's software stack. */
export function stackHelp(): string {
  return `software stack of a GPU or ASIC board (its overheads, kernels and scheduler defaults): a file or a shipped stack by name (${shippedStackNames().join(', ')}); default: the board's own calibration`;
}

/** Help text of an option taking model descriptions or shipped models by name. */
export function modelHelp(what = 'model description'): string {
  return `${what}: a file (ir/*.yaml format, or a Hugging Face config.json) or a shipped model by name (${shippedModelNames().join(', ')})`;
}

/** Commander parser for --expert-load: `uniform` or `zipf:<exponent>`. */
export function expertLoadOption(text: string): ExpertLoad {
  const load = parseExpertLoad(text);
  if (load === undefined) throw new InvalidArgumentError(`expected uniform or zipf:<exponent> with a positive exponent, e.g. zipf:1.2, got "${text}".`);
  return load;
}

export const EXPERT_LOAD_HELP = 'how a mixture of experts\' tokens spread over its routed experts, an assumption reported with the results: uniform, or zipf:<exponent> (expert of popularity rank r weighted 1/r^exponent) (default: the model\'s, else uniform)';

/** The model with the expert load --expert-load asks for; a dense model is left as it is (said on stderr). */
export function withExpertLoadOption(model: Model, load: ExpertLoad | undefined, stderr: CliOutput): Model {
  if (load === undefined) return model;
  const loaded = withExpertLoad(model, load);
  if (loaded === model) stderr.write(`fpga-llm-sim: ${model.displayName ?? model.name} has no experts; --expert-load ignored\n`);
  return loaded;
}

/** Commander parser for options that take a positive integer. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}".`);
  return parsed;
}

/** Commander parser for --jobs: a positive number of worker threads, at most MAX_THREADS_PER_CORE per core of this machine. */
export function threadCount(value: string): number {
  const threads = positiveInteger(value);
  if (threads > maxThreads()) throw new InvalidArgumentError(`at most ${maxThreads()} worker threads on this machine (${MAX_THREADS_PER_CORE} per core, MAX_THREADS_PER_CORE), got ${threads}.`);
  return threads;
}

/** The parse cache the CLI uses unless `--no-cache` is given, where the CLI's environment places it; an entry it refuses is reported on stderr. */
export function cliCache(enabled: boolean, io: CliIo): ContentCache | undefined {
  return enabled ? new ContentCache(defaultCacheDirectory(io.env), { onRejected: (rejection) => reportRejection(rejection, io) }) : undefined;
}

/** One line on stderr for a cache entry refused on reading (it was removed and its value computed again). */
export function reportRejection(rejection: CacheRejection, io: CliIo): void {
  io.stderr.write(`fpga-llm-sim: warning: ignored the cache entry ${rejection.path} (${rejection.reason}); computed again\n`);
}

/**
 * Commander parser for repeatable `key=value` options, collected into one
 * object. The value is read as a YAML scalar: `500` is a number, `= 2 * 3`
 * an expression, `fp16` a string.
 */
export function keyValue(text: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const match = /^\s*([A-Za-z_][\w]*(?:\.[A-Za-z_0-9][\w]*)*)\s*=(.*)$/.exec(text);
  if (match === null) throw new InvalidArgumentError(`expected key=value with a dotted key, e.g. hbm.bandwidthGiBps=500, got "${text}".`);
  let value: unknown;
  try {
    value = parseYamlValue(match[2]!.trim());
  } catch (error) {
    throw new InvalidArgumentError(`cannot read the value of "${text}": ${(error as Error).message}.`);
  }
  return { ...previous, [match[1]!]: value };
}
