import { basename, extname, join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError, UserError } from '../../errors.js';
import { loadHardware } from '../../backends/index.js';
import { runSimulationJob, runSimulationJobs, type SimulationJob, type SimulationOutcome } from '../../profiler/index.js';
import { moduleNamesOf } from '../../backends/index.js';
import { TraceWriter } from '../../profiler/trace.js';
import { checkOutputDirectory, OutputSet } from '../../util/output-set.js';
import { EXIT_INTERNAL_ERROR, EXIT_OK, EXIT_USER_ERROR, type CliIo } from '../io.js';
import { cliCache, hardwareHelp, keyValue, positiveInteger, reportRejection, threadCount } from '../options.js';
import { Progress } from '../progress.js';

interface SimulateOptions {
  hardware: string;
  set?: Record<string, unknown>;
  ir: string[];
  masks?: string;
  outDir?: string;
  csv?: string;
  json?: boolean;
  jobs?: number;
  cache: boolean;
  trace?: string;
  traceWindow?: readonly [number, number];
  traceMaxEvents: number;
}

/** Where CSVs go when several IR files are simulated and no --out-dir is given (FlightLLM's layout). */
const DEFAULT_OUT_DIR = join('compiler_output', 'profiler_output');

export function addOptions(command: Command): Command {
  return command
    .requiredOption('--hardware <file>', hardwareHelp())
    .option('--set <key=value>', 'override a hardware value, e.g. --set hbm.bandwidthGiBps=500 (repeatable)', keyValue)
    .requiredOption('--ir <files...>', 'IR files in FlightLLM format')
    .option('--masks <dir>', 'attention-mask directory (default: attention_mask/ beside each IR file)')
    .option('--out-dir <dir>', `write <dir>/<IR name>.csv per IR file (default with several files: ${DEFAULT_OUT_DIR})`)
    .option('--csv <file>', 'with one IR file: write its CSV here instead of to stdout')
    .option('--json', 'with one IR file: print the profile, with per-step figures, as JSON')
    .option('--jobs <n>', 'worker threads for several IR files (default: one per core)', threadCount)
    .option('--no-cache', 'parse every file afresh instead of reusing cached parses')
    .option('--trace <file>', 'with one IR file: write a Chrome trace-event JSON of the module timelines (opens in Perfetto)')
    .option('--trace-window <start:end>', 'only trace instructions within this time window, in ms', timeWindow)
    .option('--trace-max-events <n>', 'trace at most this many instructions', positiveInteger, DEFAULT_TRACE_EVENTS);
}

export async function run(options: SimulateOptions, io: CliIo): Promise<number | void> {
  checkCombination(options);
  const cache = cliCache(options.cache, io);
  const hardware = loadHardware(options.hardware, { cache, overrides: options.set });
  const jobs: SimulationJob[] = options.ir.map((irPath) => ({ kind: 'ir-file', irPath, hardware, masksDir: options.masks, cacheDir: cache?.directory }));
  if (jobs.length === 1 && options.outDir === undefined) {
    // The trace and the CSV are written together or not at all.
    const outputs = new OutputSet();
    const notes = writeSingle(traced(jobs[0]!, options, outputs), options, io, outputs);
    outputs.commit();
    for (const note of notes) io.stderr.write(`fpga-llm-sim: wrote ${note}\n`);
  } else return writeMany(jobs, options, io);
}

/** About 100 MB of trace JSON. */
const DEFAULT_TRACE_EVENTS = 1_000_000;

function timeWindow(value: string): readonly [number, number] {
  const match = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  if (match === null || Number(match[1]) >= Number(match[2])) throw new InvalidArgumentError('expected start:end in ms with start < end, e.g. 0:25.');
  return [Number(match[1]), Number(match[2])];
}

/** Runs one job in this thread, its trace (when asked) added to `outputs`; the note says what the trace holds. */
function traced(job: SimulationJob, options: SimulateOptions, outputs: OutputSet): SimulationOutcome & { traceNote?: string } {
  if (options.trace === undefined) return runSimulationJob(job);
  const writer = new TraceWriter(options.trace, { processName: job.hardware.name, moduleNames: moduleNamesOf(job.hardware), windowMs: options.traceWindow, maxEvents: options.traceMaxEvents });
  const outcome = runSimulationJob(job, { trace: writer.record });
  if (!outcome.ok) {
    writer.abort();
    return outcome;
  }
  writer.finish(outcome.profile.steps, outputs);
  const left = writer.dropped > 0 ? `; ${writer.dropped} more left out (narrow --trace-window or raise --trace-max-events)` : '';
  return { ...outcome, traceNote: `${options.trace}: ${writer.written} instruction slices${left}` };
}

function checkCombination(options: SimulateOptions): void {
  const single = options.ir.length === 1;
  if (options.trace !== undefined && !single) throw new UsageError({ what: '--trace takes one IR file' });
  if (options.csv !== undefined && !single) throw new UsageError({ what: '--csv takes one IR file; with several, use --out-dir' });
  if (options.json === true && !single) throw new UsageError({ what: '--json takes one IR file' });
  if (options.csv !== undefined && options.outDir !== undefined) throw new UsageError({ what: 'give either --csv or --out-dir, not both' });
}

/** Adds the result to `outputs` (or prints it); returns what each file written will hold. */
function writeSingle(outcome: SimulationOutcome & { traceNote?: string }, options: SimulateOptions, io: CliIo, outputs: OutputSet): string[] {
  for (const rejection of outcome.cacheRejections ?? []) reportRejection(rejection, io);
  if (!outcome.ok) throw failure(outcome);
  const notes = outcome.traceNote === undefined ? [] : [outcome.traceNote];
  const text = options.json === true ? `${JSON.stringify(outcome.profile, null, 2)}\n` : outcome.csv;
  if (options.csv === undefined) {
    io.stdout.write(text);
    return notes;
  }
  outputs.add(options.csv, text);
  return [...notes, `${options.csv} (${outcome.profile.totalMs.toFixed(3)} ms simulated, ${outcome.profile.instructionCount} instructions)`];
}

/** Simulates on the worker pool; the CSVs of the files that simulated are written together at the end. Returns the exit code (the worst failure's). */
async function writeMany(jobs: readonly SimulationJob[], options: SimulateOptions, io: CliIo): Promise<number> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  checkOutputDirectory(outDir);
  const outputs = new OutputSet();
  const progress = new Progress('simulate', io.stderr);
  const started = performance.now();
  const outcomes = await runSimulationJobs(jobs, {
    ...(options.jobs === undefined ? {} : { threads: options.jobs }),
    onDone: (outcome, done, total) => {
      for (const rejection of outcome.cacheRejections ?? []) reportRejection(rejection, io);
      if (outcome.ok) outputs.add(join(outDir, csvName(outcome.label)), outcome.csv);
      progress.update(done, total, basename(outcome.label));
    },
  });
  const failed = outcomes.filter((outcome) => !outcome.ok);
  outputs.commit();
  progress.finish(`${outcomes.length - failed.length} of ${outcomes.length} IR files simulated into ${outDir} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  for (const outcome of failed) if (!outcome.ok) io.stderr.write(`fpga-llm-sim: error: ${outcome.message}\n`);
  if (failed.length === 0) return EXIT_OK;
  return failed.some((outcome) => !outcome.ok && !outcome.userError) ? EXIT_INTERNAL_ERROR : EXIT_USER_ERROR;
}

function csvName(irPath: string): string {
  return `${basename(irPath, extname(irPath))}.csv`;
}

function failure(outcome: Extract<SimulationOutcome, { ok: false }>): Error {
  return outcome.userError ? new UserError({ what: outcome.message }) : new Error(outcome.message);
}
