import Table from 'cli-table3';
import type { Command } from 'commander';
import { basename } from 'node:path';
import { calibrate, gpuProfileObservations, loadVllmResult, overlayYaml, vllmObservations, type Observation } from '../../calibrate/index.js';
import { UsageError } from '../../errors.js';
import { hardwarePath, type Hardware, type RooflineHardware } from '../../backends/index.js';
import { gpuProfilesFor, loadGpuProfile } from '../../profiler/index.js';
import { writeFileAtomic } from '../../util/files.js';
import { checkOutputPaths } from '../../util/output-set.js';
import { loadBoardAndModel, withBoardAndModel, type BoardModelOptions } from '../board-model.js';
import type { CliIo } from '../io.js';

/*
 * `calibrate`: fits a roofline board's efficiencies and launch cost to
 * measured GPU figures and writes them as a hardware file extending it.
 */

interface CalibrateOptions extends BoardModelOptions {
  gpu: string[];
  fit?: string;
  out?: string;
  name?: string;
  json?: boolean;
}

/** calibrate fits roofline boards: without --hardware, the A100 whose vLLM figures FlightLLM measured. */
const DEFAULT_CALIBRATED_BOARD = 'a100-80gb-sxm';

export function addOptions(command: Command): Command {
  return withBoardAndModel(command, DEFAULT_CALIBRATED_BOARD)
    .requiredOption('--gpu <files...>', 'measurements: GPU profile CSVs (rows of the model are used) or `vllm bench serve` result JSONs')
    .option('--fit <keys>', 'comma-separated keys to fit (default: every efficiency and kernelLaunchUs)')
    .option('--out <file>', 'where to write the calibrated hardware file (default: <board>-calibrated.yaml here)')
    .option('--name <name>', 'name of the calibrated board (default: <board>-calibrated)')
    .option('--json', 'print the fit as JSON');
}

export function run(options: CalibrateOptions, io: CliIo): void {
  const { hardware, model, label } = loadBoardAndModel(options, io);
  const board = rooflineBoard(hardware, options.hardware);
  const name = options.name ?? `${board.name}-calibrated`;
  const out = options.out ?? `${name}.yaml`;
  checkOutputPaths([out]);
  const observations = options.gpu.flatMap((file) => observationsOf(file, [label, model.name, ...(model.displayName === undefined ? [] : [model.displayName])], io));
  const started = performance.now();
  const result = calibrate({ hardware: board, model, observations, keys: options.fit?.split(',').map((key) => key.trim()) });
  io.stderr.write(`fpga-llm-sim: fitted ${Object.keys(result.values).length} parameters to ${observations.length} measurements in ${((performance.now() - started) / 1000).toFixed(2)} s (${result.iterations} iterations)\n`);
  const fitted = options.fit === undefined ? '' : ` --fit ${options.fit}`;
  // Values the fit started from that the board file does not hold (a parameter held fixed) belong to the command.
  const held = Object.entries(options.set ?? {}).map(([key, value]) => ` --set ${key}=${JSON.stringify(value)}`).join('');
  const fittedOn = [`fpga-llm-sim calibrate --hardware ${options.hardware}${held} --model ${options.model} --gpu ${options.gpu.map((f) => basename(f)).join(' ')}${fitted}`, `(${label} on ${board.name})`];
  writeFileAtomic(out, overlayYaml(result, { basePath: hardwarePath(options.hardware), outPath: out, name, description: `${board.description ?? board.name}; efficiencies fitted to ${options.gpu.map((f) => basename(f)).join(', ')}`, fittedOn }));
  io.stderr.write(`fpga-llm-sim: wrote ${out}\n`);
  if (options.json === true) {
    io.stdout.write(`${JSON.stringify({ hardware: board.name, model: label, values: result.values, rmsBefore: result.rmsBefore, rmsAfter: result.rmsAfter, observations: result.observations, out }, null, 2)}\n`);
    return;
  }
  const table = new Table({ head: ['measurement', 'measured ms', 'before ms', 'fitted ms', 'error'], style: { head: [], border: [], compact: true } });
  for (const o of result.observations) table.push([o.label, o.measuredMs.toFixed(1), o.beforeMs.toFixed(1), o.afterMs.toFixed(1), `${o.relativeError >= 0 ? '+' : ''}${(o.relativeError * 100).toFixed(2)} %`]);
  const values = Object.entries(result.values).map(([key, value]) => `  ${key}: ${value.toPrecision(4)}`);
  io.stdout.write(`${label} on ${board.name}, calibrated:\n${values.join('\n')}\nRMS relative error ${(result.rmsBefore * 100).toFixed(2)} % before, ${(result.rmsAfter * 100).toFixed(2)} % after\n${table.toString()}\n`);
}

function rooflineBoard(hardware: Hardware, given: string): RooflineHardware {
  if (hardware.kind !== 'roofline') throw new UsageError({ what: `calibrate fits roofline boards (GPUs and ASICs); ${given} is of kind ${hardware.kind}` });
  return hardware;
}

/** A measurement file's observations: a vLLM result JSON, or the model's rows of a GPU profile CSV. */
function observationsOf(file: string, names: string[], io: CliIo): Observation[] {
  if (file.endsWith('.json')) return vllmObservations(loadVllmResult(file), basename(file, '.json'));
  const { matching } = gpuProfilesFor([loadGpuProfile(file)], { names });
  if (matching.length === 0) io.stderr.write(`fpga-llm-sim: ${file} has no rows for ${names[0]}; left out\n`);
  return matching.flatMap(gpuProfileObservations);
}
