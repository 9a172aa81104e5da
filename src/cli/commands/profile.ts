import type { Command } from 'commander';
import { casesFromOption, compareWithGpu, formatCaseTable, loadGpuProfile } from '../../profiler/index.js';
import { defaultGpuFiles, fpgaLabel, packageFile, runFpga, withFpgaOptions, type FpgaOptions, type FpgaRun } from '../fpga-run.js';

interface ProfileOptions extends FpgaOptions {
  cases: string;
  gpu?: string[];
  json?: boolean;
}

export function registerProfile(program: Command): void {
  withFpgaOptions(
    program
      .command('profile')
      .description('simulate the token lengths a set of cases needs and print FPGA latency and throughput beside GPU profiles')
      .option('--cases <list|file>', 'cases as batch x prompt x generated (1x128x512,1x512x1536) or a YAML file', packageFile('ir/cases/figure12.yaml'))
      .option('--gpu <files...>', 'GPU profile CSVs (default: compiler_output/gpu_profile/*.csv)')
      .option('--json', 'print one JSON document instead of the table'),
  ).action(async (options: ProfileOptions) => {
    const cases = casesFromOption(options.cases);
    const gpus = (options.gpu ?? defaultGpuFiles()).map(loadGpuProfile);
    const run = await runFpga(options, cases, gpus);
    process.stdout.write(options.json === true ? `${JSON.stringify(profileJson(run), null, 2)}\n` : caseTable(run, gpus));
  });
}

/** The seed's table for the run's cases and the given GPU profiles. */
export function caseTable(run: FpgaRun, gpus: Parameters<typeof compareWithGpu>[1]): string {
  const comparison = compareWithGpu(run.result.cases, gpus);
  return formatCaseTable({
    model: run.label,
    fpgaLabel: fpgaLabel(run.hardware),
    rows: comparison.cases.map((row) => ({ case: row.case, fpga: row.fpga, gpus: comparison.backends.map((label) => ({ label, figures: row.gpu[label] })) })),
  });
}

/** `{hardware, model, cases: [{batch, prompt, generated, fpga, gpu: {<label>: figures | null}}]}`. */
function profileJson(run: FpgaRun): unknown {
  return {
    hardware: run.hardware.name,
    model: run.label,
    // A case a GPU profile lacks is null: listed, never invented.
    cases: run.result.cases.map((row) => ({ ...row.case, fpga: row.fpga, gpu: Object.fromEntries(Object.entries(row.gpu).map(([label, figures]) => [label, figures ?? null])) })),
  };
}
