import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { casesFromOption, gpuProfilesFor, loadGpuProfile, profileDocument, profileTable } from '../../profiler/index.js';
import { defaultGpuFiles, modelNames, packageFile, runFpga, withFpgaOptions, type FpgaOptions } from '../fpga-run.js';

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
  io.stdout.write(options.json === true ? `${JSON.stringify(profileDocument(fpga, matching), null, 2)}\n` : profileTable(fpga, matching, { bound: options.bound, energy: options.energy }));
}
