import type { Command } from 'commander';
import { maxTokensOf } from '../../compiler/index.js';
import { compileTarget } from '../../backends/index.js';
import { loadHardware } from '../../hardware/index.js';
import { loadModel } from '../../model/index.js';
import { compareWithGpu, formatCaseTable, gpuProfilesFor, loadFpgaProfile, loadGpuProfile, type Case, type FpgaCase, type GpuProfile } from '../../profiler/index.js';
import type { CliIo } from '../io.js';
import { cliCache } from '../options.js';
import { fpgaLabel, runFpga, withFpgaOptions, type FpgaOptions } from '../fpga-run.js';

interface CompareOptions extends FpgaOptions {
  gpu: string[];
  fpga?: string;
}

export function addOptions(command: Command): Command {
  return withFpgaOptions(
    command
      .requiredOption('--gpu <files...>', 'GPU profile CSVs (columns: device, backend, batch, prompt, generated, prefill_ms, decode_ms, total_ms, source)')
      .option('--fpga <file>', "FPGA figures saved from profile --json (default: simulate the GPU profiles' cases)"),
  );
}

export async function run(options: CompareOptions, io: CliIo): Promise<void> {
  const loaded = options.gpu.map(loadGpuProfile);
  const names = options.fpga === undefined ? modelNamesOf(options) : [loadFpgaProfile(options.fpga).model];
  const { matching: gpus, other } = gpuProfilesFor(loaded, { names });
  for (const gpu of other) io.stderr.write(`fpga-llm-sim: ${gpu.file} has no rows for ${names[0]}; left out\n`);
  const side = options.fpga === undefined ? await simulatedSide(options, gpus, io) : savedSide(options.fpga);
  const comparison = compareWithGpu(side.cases, gpus);
  io.stdout.write(
    formatCaseTable({
      model: side.model,
      fpgaLabel: side.fpgaLabel,
      rows: comparison.cases.map((row) => ({ case: row.case, fpga: row.fpga, gpus: comparison.backends.map((label) => ({ label, figures: row.gpu[label] })) })),
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
  readonly fpgaLabel: string;
  readonly cases: readonly FpgaCase[];
}

function savedSide(file: string): FpgaSide {
  const saved = loadFpgaProfile(file);
  return {
    model: saved.model,
    fpgaLabel: `${saved.hardware.toUpperCase()} FPGA`,
    cases: saved.cases.map(({ batch, prompt, generated, fpga }) => ({ case: { batch, prompt, generated }, fpga })),
  };
}

/** Simulates every GPU case the FPGA can run (batch 1, within its longest sequence). */
async function simulatedSide(options: CompareOptions, gpus: readonly GpuProfile[], io: CliIo): Promise<FpgaSide> {
  const hardware = loadHardware(options.hardware, { cache: cliCache(true, io)!, overrides: options.set });
  const maxTokens = options.irDir === undefined ? maxTokensOf(loadModel(options.model).model, hardware) : compileTarget(hardware).maxTokens;
  const cases: Case[] = [];
  for (const gpu of gpus) {
    for (const row of gpu.rows) {
      const c = { batch: row.batch, prompt: row.prompt, generated: row.generated };
      const known = cases.some((k) => k.batch === c.batch && k.prompt === c.prompt && k.generated === c.generated);
      if (!known && c.batch === 1 && c.prompt + c.generated <= maxTokens) cases.push(c);
    }
  }
  const run = await runFpga(options, cases, io);
  return { model: run.label, fpgaLabel: fpgaLabel(run.hardware), cases: run.result.cases };
}
