import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadHardware, type Hardware } from '../../hardware/index.js';
import { loadModel } from '../../model/index.js';
import { casesFromOption, formatCaseTable, loadGpuProfile, profileCases, type GpuProfile, type ProfileResult, type ProfileSource } from '../../profiler/index.js';
import { PACKAGE_ROOT } from '../../version.js';
import { cliCache, positiveInteger } from '../options.js';
import { Progress } from '../progress.js';

interface ProfileOptions {
  model: string;
  irDir?: string;
  modelName: string;
  label?: string;
  masks?: string;
  hardware: string;
  cases: string;
  gpu?: string[];
  exact?: boolean;
  json?: boolean;
  jobs?: number;
  cache: boolean;
}

const packageFile = (path: string) => fileURLToPath(new URL(path, PACKAGE_ROOT));

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('simulate the token lengths a set of cases needs and print FPGA latency and throughput beside GPU profiles')
    .option('--model <file>', 'model description (ir/*.yaml) or Hugging Face config.json', packageFile('ir/llama2-7b.yaml'))
    .option('--ir-dir <dir>', 'profile FlightLLM-format IR files <model-name>_<stage>_token_<n>.yaml instead of compiling --model')
    .option('--model-name <name>', 'with --ir-dir: model name in the IR file names', 'llama2')
    .option('--label <text>', 'model name shown in the table (default: the model\'s displayName)')
    .option('--masks <dir>', "attention masks to use (default: generated from the model; with --ir-dir, its attention_mask/)")
    .option('--hardware <file>', 'hardware configuration', packageFile('hardware/vhk158.yaml'))
    .option('--cases <list|file>', 'cases as batch x prompt x generated (1x128x512,1x512x1536) or a YAML file', packageFile('ir/cases/figure12.yaml'))
    .option('--gpu <files...>', 'GPU profile CSVs (default: compiler_output/gpu_profile/*.csv)')
    .option('--exact', 'simulate every token count as it is instead of padding as FlightLLM does')
    .option('--json', 'print one JSON document instead of the table')
    .option('--jobs <n>', 'worker threads (default: one per core)', positiveInteger)
    .option('--no-cache', 'simulate every length again instead of reusing results of identical inputs')
    .action(async (options: ProfileOptions) => {
      const cache = cliCache(options.cache);
      const hardware = loadHardware(options.hardware, cache === undefined ? {} : { cache });
      const cases = casesFromOption(options.cases);
      const gpus = (options.gpu ?? defaultGpuFiles()).map(loadGpuProfile);
      const { source, label } = profileSource(options);
      const progress = new Progress('profile');
      const started = performance.now();
      const result = await profileCases({
        hardware,
        cases,
        source,
        exact: options.exact === true,
        gpus,
        cache,
        threads: options.jobs,
        onProgress: (done, total) => progress.update(done, total, 'token lengths simulated'),
      });
      progress.finish(`${result.simulated} token lengths simulated, ${result.reused} reused, in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      process.stdout.write(options.json === true ? `${JSON.stringify(toJson(result, hardware, label), null, 2)}\n` : table(result, hardware, label, gpus));
    });
}

/** The IR source the options select, and the model name to show. */
function profileSource(options: ProfileOptions): { source: ProfileSource; label: string } {
  if (options.irDir !== undefined) {
    return { source: { kind: 'ir-directory', directory: options.irDir, modelName: options.modelName, masksDir: options.masks }, label: options.label ?? options.modelName };
  }
  const { model, assumptions } = loadModel(options.model);
  for (const assumption of assumptions) process.stderr.write(`fpga-llm-sim: assumed ${assumption}\n`);
  return { source: { kind: 'model', model, masksDir: options.masks }, label: options.label ?? model.displayName ?? model.name };
}

function defaultGpuFiles(): string[] {
  const directory = packageFile('compiler_output/gpu_profile');
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.endsWith('.csv'))
    .sort()
    .map((file) => join(directory, file));
}

function fpgaLabel(hardware: Hardware): string {
  return `${hardware.name.toUpperCase()} FPGA`;
}

function table(result: ProfileResult, hardware: Hardware, model: string, gpus: readonly GpuProfile[]): string {
  return formatCaseTable({
    model,
    fpgaLabel: fpgaLabel(hardware),
    rows: result.cases.map((row) => ({ case: row.case, fpga: row.fpga, gpus: gpus.map((gpu) => ({ label: gpu.label, figures: row.gpu[gpu.label] })) })),
  });
}

function toJson(result: ProfileResult, hardware: Hardware, model: string): unknown {
  return {
    hardware: hardware.name,
    model,
    cases: result.cases.map((row) => ({ ...row.case, fpga: row.fpga, gpu: row.gpu })),
  };
}
