import type { Command } from 'commander';
import { maxTokensOf } from '../../compiler/index.js';
import { compileTarget, deviceLabel } from '../../backends/index.js';
import { loadHardware } from '../../backends/index.js';
import { loadModel } from '../../model/index.js';
import { compareWithGpu, formatCaseTable, gpuProfilesFor, loadFpgaProfile, loadGpuProfile, type Case, type DeviceCase, type GpuProfile } from '../../profiler/index.js';
import type { CliIo } from '../io.js';
import { cliCache, positiveInteger } from '../options.js';
import { isServingCsvHeader, servingCsvHeader } from '../../calibrate/index.js';
import { loadBoardAndModel } from '../board-model.js';
import { loadMeasuredRuns, servingComparisonTable, simulateMeasured } from '../../compare/index.js';
import { Progress } from '../progress.js';
import { runFpga, withFpgaOptions, type FpgaOptions } from '../fpga-run.js';
import { parallelOf, withRouterOption, type RouterCliOptions } from '../parallel-options.js';

interface CompareOptions extends FpgaOptions, RouterCliOptions {
  gpu: string[];
  fpga?: string;
  inputLen?: number;
  outputLen?: number;
  numPrompts?: number;
  json?: boolean;
  cache: boolean;
}

export function addOptions(command: Command): Command {
  return withRouterOption(withFpgaOptions(
    command
      .requiredOption(
        '--gpu <files...>',
        'measurements: GPU profile CSVs (device, backend, batch, prompt, generated, prefill_ms, decode_ms, total_ms, source), `vllm bench serve` result JSONs, or serving CSVs with the K100-AI report\'s columns (model, framework, concurrency, throughput_tok_s, p50_ms, utilization_pct, power_w)',
      )
      .option('--fpga <file>', "FPGA figures saved from profile --json (default: simulate the GPU profiles' cases)")
      .option('--input-len <n>', 'serving CSVs: prompt tokens of each request, where rows give no input_len', positiveInteger)
      .option('--output-len <n>', 'serving CSVs: output tokens of each request, where rows give no output_len', positiveInteger)
      .option('--num-prompts <n>', 'serving CSVs: requests per simulated run (default: four times the concurrency, at least 64)', positiveInteger)
      .option('--json', 'serving measurements: print the comparison as JSON'),
  ));
}

export async function run(options: CompareOptions, io: CliIo): Promise<void> {
  const files = classify(options.gpu);
  if (files.vllm.length > 0 || files.csv.length > 0) compareServing(options, files, io);
  if (files.profiles.length > 0) await compareProfiles(options, files.profiles, io);
}

/** Which measurement files are GPU profiles, vLLM results and serving CSVs. */
function classify(paths: readonly string[]): { profiles: string[]; vllm: string[]; csv: string[] } {
  const out = { profiles: [] as string[], vllm: [] as string[], csv: [] as string[] };
  for (const path of paths) {
    if (path.endsWith('.json')) out.vllm.push(path);
    else if (isServingCsvHeader(servingCsvHeader(path))) out.csv.push(path);
    else out.profiles.push(path);
  }
  return out;
}

function compareServing(options: CompareOptions, files: { vllm: string[]; csv: string[] }, io: CliIo): void {
  const runs = loadMeasuredRuns(files, { inputLen: options.inputLen, outputLen: options.outputLen, numPrompts: options.numPrompts });
  const { hardware, model, label } = loadBoardAndModel({ ...options, cache: true }, io);
  const progress = new Progress('compare', io.stderr);
  const rows = simulateMeasured(runs, { hardware, model, cache: cliCache(options.cache, io), parallel: parallelOf(options), router: options.router, onRun: (done, total) => progress.update(done, total, 'measured runs simulated') });
  progress.finish(`${rows.length} measured runs simulated`);
  io.stdout.write(options.json === true ? `${JSON.stringify({ hardware: hardware.name, model: label, rows }, null, 2)}\n` : servingComparisonTable(rows, `${label} on ${deviceLabel(hardware)}, simulated, beside the measured runs`));
}

async function compareProfiles(options: CompareOptions, paths: readonly string[], io: CliIo): Promise<void> {
  const loaded = paths.map(loadGpuProfile);
  const names = options.fpga === undefined ? modelNamesOf(options) : [loadFpgaProfile(options.fpga).model];
  const { matching: gpus, other } = gpuProfilesFor(loaded, { names });
  for (const gpu of other) io.stderr.write(`fpga-llm-sim: ${gpu.file} has no rows for ${names[0]}; left out\n`);
  const side = options.fpga === undefined ? await simulatedSide(options, gpus, io) : savedSide(options.fpga);
  const comparison = compareWithGpu(side.cases, gpus);
  const energyOf = (c: Case) => side.cases.find((k) => k.case.batch === c.batch && k.case.prompt === c.prompt && k.case.generated === c.generated)?.energy ?? undefined;
  io.stdout.write(
    formatCaseTable({
      model: side.model,
      deviceLabel: side.deviceLabel,
      // GPU profiles carry no energy: the board's own rows, where it describes energy.
      showEnergy: side.cases.some((k) => k.energy !== undefined && k.energy !== null),
      rows: comparison.cases.map((row) => ({ case: row.case, device: row.device, energy: energyOf(row.case), gpus: comparison.backends.map((label) => ({ label, figures: row.gpu[label] })) })),
    }),
  );
  if (comparison.missing.length > 0) io.stdout.write(`Missing (shown as —):\n${comparison.missing.map((line) => `  ${line}`).join('\n')}\n`);
}

/** The names GPU rows may give the model being simulated. */
function modelNamesOf(options: CompareOptions): string[] {
  if (options.irDir !== undefined) return [options.label ?? options.modelName, options.modelName];
  const { model } = loadModel(options.model);
  return [options.label ?? model.displayName ?? model.name, model.name, ...(model.displayName === undefined ? [] : [model.displayName])];
}

interface FpgaSide {
  readonly model: string;
  readonly deviceLabel: string;
  readonly cases: ReadonlyArray<DeviceCase & { readonly energy?: { readonly joules: number; readonly tokensPerJoule: number } | null | undefined }>;
}

function savedSide(file: string): FpgaSide {
  const saved = loadFpgaProfile(file);
  return {
    model: saved.model,
    deviceLabel: `${saved.hardware.toUpperCase()} FPGA`,
    cases: saved.cases.map(({ batch, prompt, generated, device, energy }) => ({ case: { batch, prompt, generated }, device, energy })),
  };
}

/** Simulates every GPU case the FPGA can run (batch 1, within its longest sequence). */
async function simulatedSide(options: CompareOptions, gpus: readonly GpuProfile[], io: CliIo): Promise<FpgaSide> {
  const hardware = loadHardware(options.hardware, { cache: cliCache(true, io)!, overrides: options.set, stack: options.stack });
  const maxTokens = options.irDir === undefined ? maxTokensOf(loadModel(options.model).model, compileTarget(hardware)) : compileTarget(hardware).maxTokens;
  const cases: Case[] = [];
  for (const gpu of gpus) {
    for (const row of gpu.rows) {
      const c = { batch: row.batch, prompt: row.prompt, generated: row.generated };
      const known = cases.some((k) => k.batch === c.batch && k.prompt === c.prompt && k.generated === c.generated);
      if (!known && c.batch === 1 && c.prompt + c.generated <= maxTokens) cases.push(c);
    }
  }
  const run = await runFpga(options, cases, io);
  return { model: run.label, deviceLabel: deviceLabel(run.hardware), cases: run.result.cases };
}
