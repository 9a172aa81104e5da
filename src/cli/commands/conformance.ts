import { readFileSync } from 'node:fs';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadHardware } from '../../backends/index.js';
import { compareProfileCsv, findReferenceCases, findReferenceDirectory, runSimulationJobs, type CsvComparison, type ReferenceCase, type SimulationOutcome } from '../../profiler/index.js';
import { defaultCacheDirectory } from '../../util/cache.js';
import { formatFixed } from '../../util/format.js';
import { EXIT_INTERNAL_ERROR, EXIT_OK, type CliIo } from '../io.js';
import { cliCache, DEFAULT_HARDWARE, hardwareHelp, reportRejection, threadCount } from '../options.js';
import { Progress } from '../progress.js';

interface ConformanceOptions {
  reference?: string;
  hardware: string;
  filter?: string;
  tolerance: number;
  jobs?: number;
  cache: boolean;
}

export function addOptions(command: Command): Command {
  return command
    .option('--reference <dir>', 'FlightLLM output directory holding ir_output/ and profiler_output/ (default: $FLIGHTLLM_REFERENCE, ../shared/reference/flightllm beside the checkout, or what `fetch-reference` fetched)')
    .option('--hardware <file>', hardwareHelp(), DEFAULT_HARDWARE)
    .option('--filter <text>', 'only cases whose name contains this text')
    .option('--tolerance <relative>', 'largest relative time difference accepted', Number, 1e-6)
    .option('--jobs <n>', 'worker threads (default: one per core)', threadCount)
    .option('--no-cache', 'parse every file afresh instead of reusing cached parses');
}

/** Returns 1 when a case does not match: conformance is our own failure, not the user's. */
export async function run(options: ConformanceOptions, io: CliIo): Promise<number> {
  const reference = options.reference ?? findReferenceDirectory({ env: io.env, cacheDirectory: defaultCacheDirectory(io.env) });
  if (reference === undefined) {
    throw new UsageError({ what: "no FlightLLM reference data", detail: 'run `npm run fetch-reference` (or `fpga-llm-sim fetch-reference`) to fetch it, or give --reference DIR or $FLIGHTLLM_REFERENCE.' });
  }
  const cases = findReferenceCases(reference).filter((c) => options.filter === undefined || c.name.includes(options.filter));
  if (cases.length === 0) {
    throw new UsageError({ what: `no reference cases in ${reference}`, detail: 'expected ir_output/<name>.yaml files with matching profiler_output/<name>.csv files; `npm run fetch-reference` fetches them.' });
  }
  const cache = cliCache(options.cache, io);
  const hardware = loadHardware(options.hardware, cache === undefined ? {} : { cache });
  const progress = new Progress('conformance', io.stderr);
  const started = performance.now();
  const outcomes = await runSimulationJobs(
    cases.map((c) => ({ kind: 'ir-file' as const, irPath: c.irPath, hardware, cacheDir: cache?.directory })),
    {
      ...(options.jobs === undefined ? {} : { threads: options.jobs }),
      onDone: (outcome, done, total) => {
        for (const rejection of outcome.cacheRejections ?? []) reportRejection(rejection, io);
        progress.update(done, total, outcome.label);
      },
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const { table, matched, identical } = compareWithReference(cases, outcomes, options.tolerance);
  progress.finish(`${cases.length} cases simulated in ${seconds.toFixed(2)} s`);
  io.stdout.write(`${table}\n`);
  io.stdout.write(`${matched} of ${cases.length} cases match FlightLLM within ${options.tolerance} relative (${identical} byte-identical CSVs).\n`);
  return matched === cases.length ? EXIT_OK : EXIT_INTERNAL_ERROR;
}

/** One row per case, and how many match FlightLLM's CSV (within the tolerance, and byte for byte). */
function compareWithReference(cases: readonly ReferenceCase[], outcomes: readonly SimulationOutcome[], tolerance: number): { table: string; matched: number; identical: number } {
  const table = new Table({ head: ['case', 'instructions', 'ours (ms)', 'FlightLLM (ms)', 'max rel. error', 'result'], style: { head: [], border: [], compact: true } });
  let matched = 0;
  let identical = 0;
  for (const [index, c] of cases.entries()) {
    const outcome = outcomes[index]!;
    if (!outcome.ok) {
      table.push([c.name, '', '', '', '', `error: ${outcome.message}`]);
      continue;
    }
    const comparison = compareProfileCsv(outcome.csv, readFileSync(c.csvPath, 'utf8'), tolerance);
    if (comparison.match) matched++;
    if (comparison.identical) identical++;
    table.push(row(c.name, outcome.profile.instructionCount, comparison));
  }
  return { table: table.toString(), matched, identical };
}

function row(name: string, instructions: number, comparison: CsvComparison): string[] {
  const result = comparison.match ? (comparison.identical ? 'identical' : 'match') : `DIFFERS: ${comparison.mismatches.join('; ')}`;
  return [name, String(instructions), formatFixed(comparison.totalMs), formatFixed(comparison.referenceTotalMs), comparison.worstRelativeError.toExponential(1), result];
}
