import { Command, CommanderError, Help } from 'commander';
import { UserError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { EXIT_INTERNAL_ERROR, EXIT_OK, EXIT_USER_ERROR, type CliIo, type CliOutput } from './io.js';

/*
 * The command line as a function: `main(args, io)` parses the arguments,
 * runs one command, writes only through `io` and returns the exit code. Only
 * the entry file (main.ts) touches `process`.
 */

/** What a command module provides: its options, and what it does with them. */
export interface CommandModule {
  /** Adds the command's options to it. */
  addOptions(command: Command): Command;
  /** Runs the command; returns its exit code (nothing: success). The command says where each option's value came from. */
  run(options: never, io: CliIo, command: Command): Promise<number | void> | number | void;
}

interface CommandEntry {
  readonly name: string;
  readonly description: string;
  readonly load: () => Promise<CommandModule>;
}

/*
 * Each command's module is imported only when that command runs: start-up
 * (and `--version`, `--help`) then loads none of the simulator, zod, mathjs
 * or the worker pool.
 */
const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'profile',
    description: 'simulate the token lengths a set of cases needs and print FPGA latency and throughput, with the physical bound, beside GPU profiles',
    load: () => import('./commands/profile.js'),
  },
  { name: 'compare', description: 'speedup tables of the FPGA against any GPU profiles; cases one side lacks are listed, never invented', load: () => import('./commands/compare.js') },
  { name: 'boards', description: 'one case for several models on several boards: prefill latency and decode throughput beside their physical bounds', load: () => import('./commands/boards.js') },
  {
    name: 'figures',
    description: 'write SVG figures: latency and speedup per case (FlightLLM Figure 12), decode latency against context, module busy share per layer kind',
    load: () => import('./commands/figures.js'),
  },
  { name: 'sensitivity', description: 'which hardware parameters one case depends on most: each is changed by --step and the case simulated again', load: () => import('./commands/sensitivity.js') },
  { name: 'step', description: 'what one accelerator step over a batch of sequences (decodes, prompts, prompt chunks) costs, where its time goes, and its bound', load: () => import('./commands/step.js') },
  { name: 'serve', description: 'serve a workload (vLLM-style policies, paged KV cache, prefix caching, chunked prefill) and report vllm bench serve metrics', load: () => import('./commands/serve.js') },
  { name: 'bench', description: 'a serving sweep over client concurrencies or request rates (default: the K100-AI benchmark’s four scenarios), one row per point, with figures', load: () => import('./commands/bench.js') },
  { name: 'calibrate', description: "fit a GPU or ASIC board's efficiencies to measured figures (GPU profile CSVs, vllm bench serve JSONs) and write a hardware file extending it", load: () => import('./commands/calibrate.js') },
  {
    name: 'sweep',
    description: 'a design-space sweep from a spec (hardware keys, boards, models, precisions, cases, serving settings): every point, a shard, or on a Redis queue; results.csv/.parquet, Pareto front',
    load: () => import('./commands/sweep.js'),
  },
  { name: 'worker', description: 'run sweep points from a Redis queue (BullMQ) on this machine\'s worker pool until stopped', load: () => import('./commands/worker.js') },
  {
    name: 'validate',
    description: 'simulate published GPU and FPGA measurements (validation/*.csv) and print the error per point, per group and overall, with a parity figure; --baseline fails when the median error rises',
    load: () => import('./commands/validate.js'),
  },
  { name: 'compile', description: 'lower a model description (or a Hugging Face config.json) to FlightLLM-format IR and attention masks', load: () => import('./commands/compile.js') },
  { name: 'simulate', description: 'simulate FlightLLM-format IR files and write FlightLLM profiler CSVs', load: () => import('./commands/simulate.js') },
  { name: 'fetch-reference', description: "fetch FlightLLM's reference data (IR, masks, configuration, profiler CSVs) at a pinned commit into the cache, checked by its hash", load: () => import('./commands/fetch-reference.js') },
  { name: 'conformance', description: 'simulate every IR file that has a FlightLLM profiler CSV and compare the results', load: () => import('./commands/conformance.js') },
];

const COMMAND_NAMES = new Set(COMMANDS.map((entry) => entry.name));

/**
 * Runs the CLI on `args` (the words after the program name) and returns the
 * exit code: 0 on success, 2 for anything the user can fix, 1 for our own
 * failures. Help, errors and results go to `io`, never to the process.
 */
export async function main(args: readonly string[], io: CliIo): Promise<number> {
  try {
    let exitCode: number = EXIT_OK;
    const program = await buildProgram(args, io, (code) => (exitCode = code));
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    return report(error, io);
  }
}

async function buildProgram(args: readonly string[], io: CliIo, setExitCode: (code: number) => void): Promise<Command> {
  const program = new Command('fpga-llm-sim')
    .description('Instruction-level simulator and profiler for LLM inference on FPGA accelerators')
    .version(TOOL_VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`fpga-llm-sim: ${text}`),
      getOutHelpWidth: () => helpWidth(io.stdout),
      getErrHelpWidth: () => helpWidth(io.stderr),
      // No help text is styled, so there is no colour to decide on.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({
      // Commands not being run are registered without their options (see COMMANDS); every command has some.
      subcommandTerm(command) {
        return COMMAND_NAMES.has(command.name()) ? `${command.name()} [options]` : Help.prototype.subcommandTerm.call(this, command);
      },
    });
  const invoked = invokedCommand(args);
  for (const entry of COMMANDS) {
    const command = program.command(entry.name).description(entry.description);
    if (entry.name !== invoked) continue;
    const module = await entry.load();
    module.addOptions(command).action(async () => setExitCode((await module.run(command.opts() as never, io, command)) ?? EXIT_OK));
  }
  return program;
}

/**
 * A terminal's width, as commander's own default: elsewhere undefined, which
 * commander reads as 80 columns (its types say number, its code allows undefined).
 */
function helpWidth(output: CliOutput): number {
  return (output.isTTY === true ? output.columns : undefined) as number;
}

/** The command the arguments name (`help <command>` included): the first word that is not an option. */
function invokedCommand(args: readonly string[]): string | undefined {
  const words = args.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/** Prints an error the way its audience needs it: one paragraph for users, a stack for us. */
function report(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USER_ERROR;
  if (error instanceof UserError) {
    io.stderr.write(`fpga-llm-sim: error: ${error.message}\n`);
    return EXIT_USER_ERROR;
  }
  io.stderr.write(`fpga-llm-sim: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT_INTERNAL_ERROR;
}
