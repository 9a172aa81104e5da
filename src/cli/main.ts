#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { registerBoards } from './commands/boards.js';
import { registerCompare } from './commands/compare.js';
import { registerCompile } from './commands/compile.js';
import { registerConformance } from './commands/conformance.js';
import { registerFigures } from './commands/figures.js';
import { registerProfile } from './commands/profile.js';
import { registerSensitivity } from './commands/sensitivity.js';
import { registerSimulate } from './commands/simulate.js';

/** Exit codes: 2 for anything the user can fix, 1 for our own failures. */
const EXIT_USER_ERROR = 2;
const EXIT_INTERNAL_ERROR = 1;

const COMMANDS: ReadonlyArray<(program: Command) => void> = [registerProfile, registerCompare, registerBoards, registerFigures, registerSensitivity, registerCompile, registerSimulate, registerConformance];

function buildProgram(): Command {
  const program = new Command('fpga-llm-sim')
    .description('Instruction-level simulator and profiler for LLM inference on FPGA accelerators')
    .version(TOOL_VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(`fpga-llm-sim: ${text.replace(/^error: /, 'error: ')}`) });
  for (const register of COMMANDS) register(program);
  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[]);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    return report(error);
  }
}

/** Prints an error the way its audience needs it: one paragraph for users, a stack for us. */
function report(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USER_ERROR;
  if (error instanceof UserError) {
    process.stderr.write(`fpga-llm-sim: error: ${error.message}\n`);
    return EXIT_USER_ERROR;
  }
  process.stderr.write(`fpga-llm-sim: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT_INTERNAL_ERROR;
}

process.exitCode = await main(process.argv);
