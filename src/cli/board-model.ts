import type { Command } from 'commander';
import { loadHardware, requireFit, type Hardware } from '../backends/index.js';
import { loadModel, PRECISION_PRESET_NAMES, type ExpertLoad, type Model } from '../model/index.js';
import { onBoard } from './fpga-run.js';
import type { CliIo } from './io.js';
import { cliCache, DEFAULT_HARDWARE, EXPERT_LOAD_HELP, expertLoadOption, hardwareHelp, keyValue, modelHelp, stackHelp, withExpertLoadOption } from './options.js';
import { withParallelOptions, type ParallelCliOptions } from './parallel-options.js';

/*
 * The options of commands that run one model on one kind of board (step,
 * serve, bench): which board, which model, at which precision, over how
 * many cards.
 */

export interface BoardModelOptions extends ParallelCliOptions {
  hardware: string;
  stack?: string;
  model: string;
  set?: Record<string, unknown>;
  precision?: string;
  kvCache?: string;
  expertLoad?: ExpertLoad;
  cache: boolean;
  /** false (`--no-fit-check`): simulate a design that does not fit its FPGA device. */
  fitCheck?: boolean;
}

/** Adds the options; `defaultHardware` is the board a command runs without --hardware (one it can run). */
export function withBoardAndModel(command: Command, defaultHardware = DEFAULT_HARDWARE): Command {
  return withParallelOptions(command)
    .option('--hardware <file>', hardwareHelp(), defaultHardware)
    .option('--stack <name>', stackHelp())
    .option('--model <file>', modelHelp(), 'llama2-7b')
    .option('--set <key=value>', 'override a hardware value, e.g. --set hbm.bandwidthGiBps=500 (repeatable)', keyValue)
    .option('--precision <preset>', `model precision: ${[...PRECISION_PRESET_NAMES, 'INT8'].join(', ')} (default: the model's)`)
    .option('--kv-cache <dtype>', "KV-cache element type, e.g. int8 or fp16 (default: the precision's)")
    .option('--expert-load <load>', EXPERT_LOAD_HELP, expertLoadOption)
    .option('--no-cache', 'parse files afresh and keep no step-cost tables between runs')
    .option('--no-fit-check', 'simulate the design even where it does not fit its FPGA device (resources, clock, memory)');
}

export interface BoardAndModel {
  readonly hardware: Hardware;
  readonly model: Model;
  /** The model as shown, with its precision where one was asked for. */
  readonly label: string;
}

/** The board and model the options name; assumptions made loading the model are reported on stderr. */
export function loadBoardAndModel(options: BoardModelOptions, io: CliIo): BoardAndModel {
  const hardware = loadHardware(options.hardware, { cache: cliCache(options.cache, io), overrides: options.set, stack: options.stack });
  if (options.fitCheck !== false) requireFit(hardware);
  const loaded = loadModel(options.model);
  for (const assumption of loaded.assumptions) io.stderr.write(`fpga-llm-sim: assumed ${assumption}\n`);
  const { model, label } = onBoard(loaded.model, hardware, options, io.stderr);
  return { hardware, model: withExpertLoadOption(model, options.expertLoad, io.stderr), label };
}
