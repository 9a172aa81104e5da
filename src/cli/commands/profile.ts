import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { casesFromOption, compareWithGpu, formatCaseTable, gpuProfilesFor, loadGpuProfile, type GpuProfile } from '../../profiler/index.js';
import { defaultGpuFiles, fpgaLabel, modelNames, packageFile, runFpga, withFpgaOptions, type FpgaOptions, type FpgaRun } from '../fpga-run.js';

interface ProfileOptions extends FpgaOptions {
  cases: string;
  gpu?: string[];
  json?: boolean;
  bound: boolean;
  energy: boolean;
}

export function addOptions(command: Command): Command {
  return withFpgaOptions(
    command
      .option('--cases <list|file>', 'cases as batch x prompt x generated (1x128x512,1x512x1536) or a YAML file', packageFile('ir/cases/figure12.yaml'))
      .option('--gpu <files...>', 'GPU profile CSVs (default: compiler_output/gpu_profile/*.csv); only rows of the same model are used')
      .option('--no-bound', "leave out the bound column (FlightLLM's table layout, with --no-energy)")
      .option('--no-energy', 'leave out the energy rows (boards whose file describes energy have them)')
      .option('--json', 'print one JSON document instead of the table'),
  );
}

export async function run(options: ProfileOptions, io: CliIo): Promise<void> {
  const cases = casesFromOption(options.cases);
  const loaded = (options.gpu ?? defaultGpuFiles()).map(loadGpuProfile);
  const fpga = await runFpga(options, cases, io);
  const { matching, other } = gpuProfilesFor(loaded, { names: modelNames(fpga) });
  for (const gpu of other) io.stderr.write(`fpga-llm-sim: ${gpu.file} has no rows for ${fpga.label}; left out\n`);
  io.stdout.write(options.json === true ? `${JSON.stringify(profileJson(fpga, matching), null, 2)}\n` : caseTable(fpga, matching, { bound: options.bound, energy: options.energy }));
}

/** The seed's table for the run's cases and the given GPU profiles, with the bound column unless asked not to. */
export function caseTable(run: FpgaRun, gpus: readonly GpuProfile[], options: { bound: boolean; energy?: boolean }): string {
  const comparison = compareWithGpu(run.result.cases, gpus, { fpgaCasesOnly: true });
  return formatCaseTable({
    model: run.label,
    fpgaLabel: fpgaLabel(run.hardware),
    showBound: options.bound,
    showEnergy: options.energy !== false && run.hardware.energy !== undefined,
    rows: comparison.cases.map((row, index) => ({
      case: row.case,
      fpga: row.fpga,
      bound: run.result.cases[index]?.bound,
      energy: run.result.cases[index]?.energy,
      gpus: comparison.backends.map((label) => ({ label, figures: row.gpu[label] })),
    })),
  });
}

/**
 * `{hardware, model, cases: [{batch, prompt, generated, fpga, bound, boundMs: {prefill, decode}, energy: {joules, averageWatts, tokensPerJoule, joulesPerRequest, tokensPerDollar} | null, gpu: {<label>: figures | null}}]}`.
 */
function profileJson(run: FpgaRun, gpus: readonly GpuProfile[]): unknown {
  const comparison = compareWithGpu(run.result.cases, gpus, { fpgaCasesOnly: true });
  return {
    hardware: run.hardware.name,
    model: run.label,
    cases: run.result.cases.map((row, index) => ({
      ...row.case,
      fpga: row.fpga,
      bound: row.bound,
      boundMs: { prefill: row.bound.prefillMs, decode: row.bound.decodeMs },
      // Null where the board's file describes no energy.
      energy: row.energy === undefined ? null : { joules: row.energy.joules, averageWatts: row.energy.averageWatts, tokensPerJoule: row.energy.tokensPerJoule, joulesPerRequest: row.energy.joulesPerRequest, tokensPerDollar: row.energy.tokensPerDollar ?? null },
      // A case a GPU profile lacks is null: listed, never invented.
      gpu: Object.fromEntries(comparison.backends.map((label) => [label, comparison.cases[index]!.gpu[label] ?? null])),
    })),
  };
}
