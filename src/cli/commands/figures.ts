import { join } from 'node:path';
import type { Command } from 'commander';
import {
  caseLatencySpec,
  caseSpeedupSpec,
  casesFromOption,
  compareWithGpu,
  decodeLatencySpec,
  gpuProfilesFor,
  jobFor,
  loadGpuProfile,
  moduleBusySpec,
  padTokens,
  runSimulationJob,
  type Stage,
  type VegaLiteSpec,
} from '../../profiler/index.js';
import { UserError } from '../../errors.js';
import { figureFiles } from '../../figures/index.js';
import { checkOutputDirectory, OutputSet } from '../../util/output-set.js';
import { compileTarget } from '../../backends/index.js';
import type { CliIo } from '../io.js';
import { defaultGpuFiles, modelNames, packageFile, runFpga, withFpgaOptions, type FpgaOptions, type FpgaRun } from '../fpga-run.js';
import { deviceLabel } from '../../backends/index.js';

interface FiguresOptions extends FpgaOptions {
  out: string;
  cases: string;
  gpu?: string[];
}

export function addOptions(command: Command): Command {
  return withFpgaOptions(
    command
      .requiredOption('--out <dir>', 'directory for the figures, each as SVG and PNG')
      .option('--cases <list|file>', 'cases as batch x prompt x generated or a YAML file', packageFile('ir/cases/figure12.yaml'))
      .option('--gpu <files...>', 'GPU profile CSVs (default: compiler_output/gpu_profile/*.csv); only rows of the same model are used'),
  );
}

export async function run(options: FiguresOptions, io: CliIo): Promise<void> {
  const cases = casesFromOption(options.cases);
  checkOutputDirectory(options.out);
  const fpga = await runFpga(options, cases, io);
  const { matching: gpus } = gpuProfilesFor((options.gpu ?? defaultGpuFiles()).map(loadGpuProfile), { names: modelNames(fpga) });
  const comparison = compareWithGpu(fpga.result.cases, gpus, { deviceCasesOnly: true });
  const label = deviceLabel(fpga.hardware);
  // Legends name each GPU column by its device (the profile's device column) and backend.
  const devices = Object.fromEntries(gpus.map((gpu) => [gpu.label, gpu.device]));
  const figures: Record<string, VegaLiteSpec> = {
    'case-latency': caseLatencySpec(comparison, label, devices),
    'case-speedup': caseSpeedupSpec(comparison, label, devices),
    'decode-latency': decodeLatencySpec(fpga.result.latencies.decode, label),
    ...busyFigures(fpga, options, cases),
  };
  const outputs = new OutputSet();
  for (const [name, spec] of Object.entries(figures)) for (const [path, data] of await figureFiles(join(options.out, name), spec)) outputs.add(path, data);
  outputs.commit();
  for (const path of outputs.paths) io.stderr.write(`fpga-llm-sim: wrote ${path}\n`);
}

/** Module busy shares at the first case's prompt and at the longest context the cases reach. */
function busyFigures(run: FpgaRun, options: FiguresOptions, cases: ReturnType<typeof casesFromOption>): Record<string, VegaLiteSpec> {
  const padding = options.exact === true ? { prefill: 1, decode: 1 } : compileTarget(run.hardware).padTokens;
  const lengths: Array<[Stage, number]> = [
    ['prefill', padTokens(cases[0]!.prompt, padding.prefill)],
    ['decode', padTokens(Math.max(...cases.map((c) => c.prompt + c.generated)), padding.decode)],
  ];
  return Object.fromEntries(
    lengths.map(([stage, tokens]) => {
      const outcome = runSimulationJob(jobFor(run.source, run.hardware, stage, tokens));
      if (!outcome.ok) throw outcome.userError ? new UserError({ what: outcome.message }) : new Error(outcome.message);
      return [`module-busy-${stage}`, moduleBusySpec(outcome.profile, { text: label(run), subtitle: `Module busy time by layer kind, ${stage} at ${tokens} tokens` })];
    }),
  );
}

function label(run: FpgaRun): string {
  return `${run.label} on ${deviceLabel(run.hardware)}`;
}
