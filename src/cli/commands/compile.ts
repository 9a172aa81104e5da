import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { compileModel, gib, irToYaml, maskFiles, memoryUse } from '../../compiler/index.js';
import { OutputSet } from '../../util/output-set.js';
import { backendFor } from '../../backends/index.js';
import { loadHardware } from '../../backends/index.js';
import { loadModel } from '../../model/index.js';
import type { CliIo } from '../io.js';
import { cliCache, DEFAULT_HARDWARE, hardwareHelp, keyValue, modelHelp, positiveInteger } from '../options.js';
import { compileTarget } from '../../backends/index.js';

interface CompileOptions {
  model: string;
  stage: 'prefill' | 'decode';
  tokens: number;
  out: string;
  hardware: string;
  set?: Record<string, unknown>;
  pad: boolean;
  masks?: string;
  cache: boolean;
}

function stage(value: string): 'prefill' | 'decode' {
  if (value !== 'prefill' && value !== 'decode') throw new InvalidArgumentError('expected prefill or decode.');
  return value;
}

export function addOptions(command: Command): Command {
  return command
    .requiredOption('--model <file>', modelHelp())
    .requiredOption('--stage <stage>', 'prefill or decode', stage)
    .requiredOption('--tokens <n>', 'prompt length (prefill) or context length (decode)', positiveInteger)
    .requiredOption('--out <dir>', 'output directory')
    .option('--hardware <file>', hardwareHelp(), DEFAULT_HARDWARE)
    .option('--set <key=value>', 'override a hardware value, e.g. --set hbm.bandwidthGiBps=500 (repeatable)', keyValue)
    .option('--no-pad', 'compile the length as given instead of rounding it up as FlightLLM does')
    .option('--masks <dir>', 'reuse the masks in this directory instead of writing generated ones')
    .option('--no-cache', 'parse the hardware file afresh');
}

export function run(options: CompileOptions, io: CliIo): void {
  const cache = cliCache(options.cache, io);
  const hardware = loadHardware(options.hardware, { cache, overrides: options.set });
  const { model, assumptions } = loadModel(options.model);
  for (const assumption of assumptions) io.stderr.write(`fpga-llm-sim: assumed ${assumption}\n`);
  const compiled = compileModel(model, { stage: options.stage, tokens: options.tokens, target: compileTarget(hardware), pad: options.pad });
  const irPath = join(options.out, `${compiled.name}.yaml`);
  // The IR and its masks are written together or not at all.
  const outputs = new OutputSet().add(irPath, irToYaml(compiled.ir));
  const masks = options.masks === undefined && backendFor(hardware).maskGeometry(hardware) !== undefined ? maskFiles(join(options.out, 'attention_mask'), model, compileTarget(hardware)) : [];
  for (const mask of masks) outputs.add(mask.path, mask.data);
  outputs.commit();
  io.stderr.write(`fpga-llm-sim: wrote ${irPath} (${compiled.ir.length} layers)\n`);
  if (masks.length > 0) io.stderr.write(`fpga-llm-sim: wrote ${masks.length} masks (${model.mapping.attentionMasks.pattern}) to ${join(options.out, 'attention_mask')}\n`);
  const m = compiled.memory;
  const use = memoryUse(m, compileTarget(hardware)).map(({ pool, neededBytes }) => `${pool.name} ${gib(neededBytes)} of ${gib(pool.capacityBytes)}`);
  io.stderr.write(`fpga-llm-sim: memory: ${use.join('; ')} (weights ${gib(m.weightBytes)}, KV cache ${gib(m.kvCacheBytes)}, activations ${gib(m.activationBytes)})\n`);
}
