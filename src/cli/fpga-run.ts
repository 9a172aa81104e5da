import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadHardware, modelLabel, modelOnBoard, requireFit, withPrecision, type Hardware, type ModelOnBoard, type PrecisionRequest } from '../backends/index.js';
import { UsageError } from '../errors.js';
import { loadModel, PRECISION_PRESET_NAMES, type ExpertLoad, type Model } from '../model/index.js';
import { profileCases, profileParallelCases, ResultStore, type Case, type ProfileResult, type ProfileSource } from '../profiler/index.js';
import { describeLayout, isMultiCard } from '../parallel/index.js';
import { parallelOf, withParallelOptions, type ParallelCliOptions } from './parallel-options.js';
import { PACKAGE_ROOT } from '../version.js';
import type { CliIo, CliOutput } from './io.js';
import { cliCache, DEFAULT_HARDWARE, EXPERT_LOAD_HELP, expertLoadOption, hardwareHelp, keyValue, modelHelp, stackHelp, threadCount, withExpertLoadOption } from './options.js';
import { Progress } from './progress.js';

/*
 * The FPGA side of `profile`, `compare` and `figures`: which model (or IR
 * files), hardware and masks, and running the simulations with progress.
 */

export interface FpgaOptions extends ParallelCliOptions {
  model: string;
  irDir?: string;
  modelName: string;
  label?: string;
  masks?: string;
  hardware: string;
  stack?: string;
  exact?: boolean;
  jobs?: number;
  outDir?: string;
  cache?: boolean;
  force?: boolean;
  emitIr?: boolean;
  set?: Record<string, unknown>;
  precision?: string;
  kvCache?: string;
  /** false (`--no-fit-check`): simulate a design that does not fit its FPGA device. */
  fitCheck?: boolean;
  expertLoad?: ExpertLoad;
}

export const packageFile = (path: string) => fileURLToPath(new URL(path, PACKAGE_ROOT));

/** Adds the FPGA-side options to a command. */
export function withFpgaOptions(command: Command): Command {
  return withParallelOptions(command)
    .option('--model <file>', modelHelp(), 'llama2-7b')
    .option('--ir-dir <dir>', 'use FlightLLM-format IR files <model-name>_<stage>_token_<n>.yaml instead of compiling --model')
    .option('--model-name <name>', 'with --ir-dir: model name in the IR file names', 'llama2')
    .option('--label <text>', "model name shown (default: the model's displayName)")
    .option('--masks <dir>', 'attention masks to use (default: generated from the model; with --ir-dir, its attention_mask/)')
    .option('--hardware <file>', hardwareHelp(), DEFAULT_HARDWARE)
    .option('--stack <name>', stackHelp())
    .option('--set <key=value>', 'override a hardware value, e.g. --set hbm.bandwidthGiBps=500 (repeatable)', keyValue)
    .option('--precision <preset>', `model precision: ${[...PRECISION_PRESET_NAMES, 'INT8'].join(', ')} (default: the model's)`)
    .option('--kv-cache <dtype>', 'KV-cache element type, e.g. int8 or fp16 (default: the precision\'s)')
    .option('--expert-load <load>', EXPERT_LOAD_HELP, expertLoadOption)
    .option('--exact', 'simulate every token count as it is instead of padding as FlightLLM does')
    .option('--jobs <n>', 'worker threads (default: one per core)', threadCount)
    .option('--out-dir <dir>', "write each length's FlightLLM profiler CSV to <dir>/profiler_output/ (and its IR to <dir>/ir_output/ with --emit-ir)")
    .option('--force', 'simulate every length again, even those whose inputs are unchanged')
    .option('--no-cache', 'parse files afresh, and neither reuse nor keep results or step-cost tables in the cache directory')
    .option('--emit-ir', "also write each length's IR and the masks to <out-dir>/ir_output (simulates every length again)")
    .option('--no-fit-check', 'simulate the design even where it does not fit its FPGA device (resources, clock, memory)');
}

export interface FpgaRun {
  readonly hardware: Hardware;
  /** The model as shown. */
  readonly label: string;
  readonly source: ProfileSource;
  readonly result: ProfileResult;
}

/** Simulates the lengths the cases need, with a progress bar, and adds up each case (GPU columns are the caller's). */
export async function runFpga(options: FpgaOptions, cases: readonly Case[], io: CliIo): Promise<FpgaRun> {
  if (options.emitIr === true && options.outDir === undefined) throw new UsageError({ what: '--emit-ir writes IR files to <out-dir>/ir_output: give --out-dir too' });
  const cache = cliCache(options.cache !== false, io);
  const hardware = loadHardware(options.hardware, { cache, overrides: options.set, stack: options.stack });
  if (options.fitCheck !== false) requireFit(hardware);
  const { source, label } = fpgaSource(options, io.stderr, hardware);
  const parallel = parallelOf(options);
  if (isMultiCard(parallel.layout)) return runParallel(options, { hardware, source, label, cases, io });
  const progress = new Progress('profile', io.stderr);
  const started = performance.now();
  const result = await profileCases({
    hardware,
    cases,
    source,
    exact: options.exact === true,
    results: new ResultStore({
      cache,
      csvDirectory: options.outDir === undefined ? undefined : join(options.outDir, 'profiler_output'),
      force: options.force === true || options.emitIr === true,
    }),
    irOutput: options.emitIr === true ? join(options.outDir!, 'ir_output') : undefined,
    threads: options.jobs,
    onProgress: (done, total) => progress.update(done, total, 'token lengths simulated'),
  });
  progress.finish(`${result.simulated} token lengths simulated, ${result.reused} reused, in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  return { hardware, label, source, result };
}

/**
 * A replica over several cards: every step a case needs costed by the
 * multi-card step cost model (its cards' parts simulated exactly, kept in
 * tables). The label names the cards.
 */
function runParallel(options: FpgaOptions, r: { hardware: Hardware; source: ProfileSource; label: string; cases: readonly Case[]; io: CliIo }): FpgaRun {
  if (r.source.kind !== 'model') throw new UsageError({ what: '--tensor-parallel-size and --pipeline-parallel-size split a model (--model), not IR files (--ir-dir)' });
  if (r.source.masksDir !== undefined) throw new UsageError({ what: '--masks applies to one card; on several cards each share generates its own masks' });
  const parallel = parallelOf(options);
  const started = performance.now();
  const result = profileParallelCases({ ...parallel, hardware: r.hardware, model: r.source.model, cases: r.cases, exact: options.exact === true, cache: cliCache(true, r.io) });
  r.io.stderr.write(`fpga-llm-sim: ${result.simulated} steps costed on ${describeLayout({ ...parallel.layout, dataParallelSize: 1 })} in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  return { hardware: r.hardware, label: `${r.label}, ${describeLayout({ ...parallel.layout, dataParallelSize: 1 })}`, source: r.source, result };
}

/** What the options ask to simulate; assumptions made loading a model are reported on `stderr`. */
export function fpgaSource(options: FpgaOptions, stderr: CliOutput, hardware?: Hardware): { source: ProfileSource; label: string } {
  if (options.irDir !== undefined) {
    if (options.precision !== undefined || options.kvCache !== undefined || options.expertLoad !== undefined) throw new UsageError({ what: '--precision, --kv-cache and --expert-load apply to a model (--model), not to IR files (--ir-dir)' });
    return { source: { kind: 'ir-directory', directory: options.irDir, modelName: options.modelName, masksDir: options.masks }, label: options.label ?? options.modelName };
  }
  const loaded = loadModel(options.model);
  for (const assumption of loaded.assumptions) stderr.write(`fpga-llm-sim: assumed ${assumption}\n`);
  const placed = hardware === undefined ? { model: withPrecision(loaded.model, options), label: undefined } : onBoard(loaded.model, hardware, options, stderr);
  const model = withExpertLoadOption(placed.model, options.expertLoad, stderr);
  return { source: { kind: 'model', model, masksDir: options.masks }, label: options.label ?? placed.label ?? modelLabel(placed.model, loaded.model) };
}

/** The model as it runs on the board (modelOnBoard), its precision fallback said on `stderr`. */
export function onBoard(model: Model, hardware: Hardware, request: PrecisionRequest, stderr: CliOutput): ModelOnBoard {
  const placed = modelOnBoard(model, hardware, request);
  if (placed.fallback !== undefined) stderr.write(`fpga-llm-sim: ${placed.fallback.notice}\n`);
  return placed;
}

/** Names a GPU profile's `model` column may use for the run's model. */
export function modelNames(run: FpgaRun): string[] {
  const names = [run.label];
  if (run.source.kind === 'model') names.push(run.source.model.name, ...(run.source.model.displayName === undefined ? [] : [run.source.model.displayName]));
  else names.push(run.source.modelName);
  return names;
}

/** The GPU profiles shipped in compiler_output/gpu_profile/. */
export function defaultGpuFiles(): string[] {
  const directory = packageFile('compiler_output/gpu_profile');
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.endsWith('.csv'))
    .sort()
    .map((file) => join(directory, file));
}
