import Table from 'cli-table3';
import { InvalidArgumentError, type Command } from 'commander';
import { MAX_BATCH_SEQUENCES, type BatchShape, type SequenceShape } from '../../batch.js';
import { tokenLimit } from '../../compiler/index.js';
import type { StepCost } from '../../cost/index.js';
import { createParallelStepCostModel, describeLayout, replicaCards, type ParallelStepCost, type ParallelStepCostModel } from '../../parallel/index.js';
import { UsageError } from '../../errors.js';
import type { LinearEngines } from '../../compiler/index.js';
import type { ExpertStepSummary } from '../../model/index.js';
import { loadBoardAndModel, withBoardAndModel, type BoardModelOptions } from '../board-model.js';
import type { CliIo } from '../io.js';
import { cliCache } from '../options.js';
import { compileTarget, describeFitLine, designFit, designOf, deviceLabel, type Hardware } from '../../backends/index.js';
import { fpgaPower, powerLimitedMs } from '../../energy/index.js';
import { parallelOf } from '../parallel-options.js';

/*
 * `step`: what one accelerator step over a batch of sequences costs, where
 * its time goes, and how close it comes to the hardware's bound.
 */

interface StepOptions extends BoardModelOptions {
  seq: Array<{ text: string; shape: SequenceShape; count: number }>;
  fast?: boolean;
  json?: boolean;
}

export function addOptions(command: Command): Command {
  return withBoardAndModel(
    command
      .requiredOption('--seq <new@context>', 'a sequence: NEW tokens over CONTEXT cached ones (1@1024: a decode; 128@0: a prompt; 64@512: a chunk after 512); NEWxN@… or NEW@CONTEXTxN for N of them (repeatable)', collectSequence)
      .option('--fast', 'add the step up from parts simulated once and kept in tables (microseconds once warm) instead of simulating it whole')
      .option('--json', 'print { totalMs, boundMs, modules, sequences, design, … } as JSON'),
  );
}

/** `1@512x32`: 32 sequences of one new token over 512 cached. */
function collectSequence(text: string, previous: StepOptions['seq'] = []): StepOptions['seq'] {
  const match = /^\s*(\d+)@(\d+)(?:x(\d+))?\s*$/.exec(text);
  if (match === null) throw new InvalidArgumentError(`expected NEW@CONTEXT or NEW@CONTEXTxCOUNT, e.g. 1@1024 or 1@512x32, got "${text}".`);
  const [newTokens, context, count] = [Number(match[1]), Number(match[2]), match[3] === undefined ? 1 : Number(match[3])];
  if (newTokens < 1) throw new InvalidArgumentError(`"${text}": a sequence computes at least one new token.`);
  if (count < 1) throw new InvalidArgumentError(`"${text}": the count must be at least 1.`);
  // Checked before the batch is made: a count of 10^9 would be 10^9 objects.
  const sequences = previous.reduce((sum, s) => sum + s.count, count);
  if (sequences > MAX_BATCH_SEQUENCES) throw new InvalidArgumentError(`"${text}": ${sequences} sequences in one step; at most ${MAX_BATCH_SEQUENCES} are taken (MAX_BATCH_SEQUENCES).`);
  return [...previous, { text: text.trim(), shape: { newTokens, context }, count }];
}

export function run(options: StepOptions, io: CliIo): void {
  const { hardware, model, label } = loadBoardAndModel(options, io);
  const limit = tokenLimit(model, compileTarget(hardware));
  for (const s of options.seq) {
    const total = s.shape.context + s.shape.newTokens;
    if (total > limit.tokens) throw new UsageError({ what: `--seq ${s.text}: context ${s.shape.context} + ${s.shape.newTokens} new tokens = ${total} exceeds ${limit.owner} (${label} on ${hardware.name})` });
  }
  const batch: BatchShape = { sequences: options.seq.flatMap((s) => Array.from({ length: s.count }, () => s.shape)) };
  const parallel = parallelOf(options);
  const costs = createParallelStepCostModel({ hardware, model, cache: cliCache(options.cache, io), ...parallel });
  const started = performance.now();
  const cost = options.fast === true ? costs.fast(batch) : costs.exact(batch);
  costs.flush();
  io.stderr.write(`fpga-llm-sim: step costed ${options.fast === true ? 'from tables' : 'by simulating it whole'} in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  const capacity = { blocks: costs.capacity.blocks, blockTokens: costs.capacity.blockTokens, tokens: costs.capacity.tokens, bytesPerToken: costs.capacity.bytesPerToken };
  const cards = replicaCards(parallel.layout) > 1 ? (costs as ParallelStepCostModel) : undefined;
  if (options.json === true) {
    const json = { ...(stepJson(cost, batch) as object), kvCapacity: capacity, design: designJson(hardware), ...(cards === undefined ? {} : { parallel: parallelJson(cost as ParallelStepCost, cards) }) };
    io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  const where = cards === undefined ? undefined : `${describeLayout({ ...parallel.layout, dataParallelSize: 1 })} of ${hardware.name}`;
  io.stdout.write(stepReport(cost, { batch, hardware, where, label, capacity }) + (cards === undefined ? '' : parallelReport(cost as ParallelStepCost, cards)));
}

/** The design on its FPGA device: every checked line keyed by what it counts, the parts' resources, and their power while busy. Null off an FPGA. */
function designJson(hardware: Hardware): unknown {
  const fit = designFit(hardware);
  if (fit === undefined) return null;
  const power = fpgaPower(hardware);
  const line = (l: (typeof fit.lines)[number]) => ({ label: l.label, used: l.used, reserved: l.reserved, capacity: l.capacity ?? null, utilization: l.utilization, ...(l.unchecked === undefined ? {} : { unchecked: l.unchecked }) });
  return {
    device: fit.device,
    part: fit.part,
    fits: fit.fits,
    maxResourceUtilization: fit.maxResourceUtilization,
    checks: Object.fromEntries(fit.lines.map((l) => [l.item, line(l)])),
    parts: designOf(hardware)!.parts.map((part) => ({ name: part.name, resources: part.resources, modules: part.modules, busyWatts: power?.parts.find((p) => p.name === part.name)?.busyWatts ?? null })),
    clockNetworkWatts: power?.clockWatts ?? null,
  };
}

/** `device XCU280 (xcu280-…): the design fits`, then one line per check; the lines that could not be checked say so once. */
function designLines(hardware: Hardware): string[] {
  const fit = designFit(hardware);
  if (fit === undefined) return [];
  const checked = fit.lines.filter((l) => l.utilization !== null);
  const unchecked = fit.lines.filter((l) => l.utilization === null).map((l) => l.label);
  return [
    `  device ${fit.device} (${fit.part}): ${fit.fits ? 'the design fits' : 'the design does NOT fit'}`,
    ...checked.map((l) => `    ${describeFitLine(l)}`),
    ...(unchecked.length === 0 ? [] : [`    not checked (no data-sheet figure or no estimate): ${unchecked.join(', ')}`]),
  ];
}

/** The layout, the communication and each stage's card share, beside the step's figures. */
function parallelJson(cost: ParallelStepCost, costs: ParallelStepCostModel): unknown {
  return {
    ...cost.parallel,
    link: costs.hardware.interconnect?.link,
    cardMemory: costs.stages.map(({ shard, costs: card }) => ({ stage: shard.stage, layers: shard.layers, weightBytes: card.capacity.weightBytes, kvBlocks: card.capacity.blocks, kvBytesPerToken: card.capacity.bytesPerToken })),
  };
}

function parallelReport(cost: ParallelStepCost, costs: ParallelStepCostModel): string {
  const p = cost.parallel;
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  const lines = [
    `cards: ${p.cards} over ${costs.hardware.interconnect!.link}; communication ${p.communicationMs.toFixed(3)} ms (${((p.communicationMs / cost.totalMs) * 100).toFixed(1)} % of the step)${p.stages.length > 1 ? `, pipeline bubble ${p.bubbleMs.toFixed(3)} ms over ${p.microBatches} micro-batch${p.microBatches === 1 ? '' : 'es'}` : ''}; links ${p.linkJoules.toExponential(2)} J`,
    ...p.collectives.map((c) => `  ${c.collective} (${c.purpose}): ${c.count} × ${c.bytes} B, ${c.ms.toFixed(3)} ms`),
    ...costs.stages.map(({ shard, costs: card }) => `  ${costs.stages.length > 1 ? `stage ${shard.stage + 1} (layers ${shard.firstLayer}–${shard.firstLayer + shard.layers - 1})` : 'each card'}: ${gib(card.capacity.weightBytes)} of weights, KV cache ${card.capacity.tokens} tokens; compute ${p.stages[shard.stage]!.computeMs.toFixed(3)} ms, its collectives ${p.stages[shard.stage]!.communicationMs.toFixed(3)} ms`),
  ];
  return `${lines.join('\n')}\n`;
}

function stepJson(cost: StepCost, batch: BatchShape): unknown {
  return {
    path: cost.path,
    totalMs: cost.totalMs,
    boundMs: cost.boundMs,
    bound: cost.bound,
    rows: cost.rows,
    tokensPerSecond: tokensPerSecond(cost, batch),
    modules: cost.modules,
    engines: cost.engines,
    experts: cost.experts ?? null,
    sequences: batch.sequences,
    energy: cost.energy === undefined ? null : { joules: cost.energy.joules, averageWatts: cost.energy.averageWatts, tokensPerJoule: batch.sequences.length / cost.energy.joules },
  };
}

/** Tokens the step samples (one per sequence) per second of its latency. */
function tokensPerSecond(cost: StepCost, batch: BatchShape): number {
  return batch.sequences.length / (cost.totalMs / 1000);
}

function stepReport(cost: StepCost, step: { batch: BatchShape; hardware: Hardware; where?: string | undefined; label: string; capacity: { blocks: number; blockTokens: number; tokens: number } }): string {
  const n = step.batch.sequences.length;
  const lines = [
    `${step.label} on ${step.where ?? deviceLabel(step.hardware)}: one step over ${n} sequence${n === 1 ? '' : 's'}, ${cost.rows} rows`,
    `  latency ${cost.totalMs.toFixed(3)} ms (${cost.path}); bound ${cost.boundMs.toFixed(3)} ms (${cost.bound.limit}); ${((cost.boundMs / cost.totalMs) * 100).toFixed(1)} % of the bound`,
    `  ${tokensPerSecond(cost, step.batch).toFixed(2)} token/s (one token per sequence); bound ${(n / (cost.boundMs / 1000)).toFixed(2)} token/s`,
    ...(cost.energy === undefined ? [] : [`  energy ${cost.energy.joules.toFixed(4)} J at ${cost.energy.averageWatts.toFixed(1)} W average; ${(n / cost.energy.joules).toFixed(2)} token/J`]),
    ...powerLimitLine(cost, step.hardware),
    `  engines: ${engineSummary(cost.engines)}`,
    ...(cost.experts === undefined ? [] : [`  experts: ${expertLine(cost.experts)}`]),
    `  KV cache for serving: ${step.capacity.tokens} tokens (${step.capacity.blocks} blocks of ${step.capacity.blockTokens}); this step holds ${step.batch.sequences.reduce((sum, q) => sum + Math.ceil((q.context + q.newTokens) / step.capacity.blockTokens), 0)} blocks`,
    ...designLines(step.hardware),
  ];
  const table = new Table({ head: ['module', 'busy ms', 'share of the step'], style: { head: [], border: [], compact: true } });
  const busiest = Object.entries(cost.modules).sort((a, b) => b[1] - a[1])[0]?.[0];
  for (const [name, busy] of Object.entries(cost.modules)) table.push([name === busiest ? `${name} (limits)` : name, busy.toFixed(3), `${((busy / cost.totalMs) * 100).toFixed(1)} %`]);
  return `${lines.join('\n')}\n${table.toString()}\n`;
}

/** Where the board's maximum power, not its schedule, sets the step's time. */
function powerLimitLine(cost: StepCost, hw: Hardware): string[] {
  const limitMs = powerLimitedMs(hw, cost.dynamicJ, cost.bound.limit);
  if (limitMs === 0 || limitMs < cost.totalMs * (1 - 1e-9)) return [];
  const maxWatts = hw.energy?.dynamic.maxWatts;
  return [`  power-limited: ${cost.dynamicJ.toFixed(4)} J of work beyond idle at the board's ${maxWatts} W maximum sets the latency (its clocks fall); the schedule alone would take less`];
}

/** `MV (row by row) for q, k, v; MM for o, …`. */
function engineSummary(engines: LinearEngines): string {
  const byEngine = { mm: [] as string[], mv: [] as string[] };
  for (const [projection, engine] of Object.entries(engines)) if (engine !== undefined) byEngine[engine].push(projection);
  const parts = [byEngine.mm.length > 0 ? `MM (matrix-matrix) for ${byEngine.mm.join(', ')}` : '', byEngine.mv.length > 0 ? `MV (row by row) for ${byEngine.mv.join(', ')}` : ''];
  return parts.filter((p) => p !== '').join('; ');
}

/** `load uniform (assumed): each of 32 sparse layers runs 2 of 8 routed experts (expected 2.00) for 1 token, top-2, busiest expert 1 row`. */
export function expertLine(e: ExpertStepSummary): string {
  const shared = e.sharedExperts > 0 ? ` + ${e.sharedExperts} shared` : '';
  return `load ${e.load} (assumed): each of ${e.sparseLayers} sparse layers runs ${e.activeExperts} of ${e.routedExperts} routed experts${shared} (expected ${e.expectedActiveExperts.toFixed(2)}) for ${e.tokens} token${e.tokens === 1 ? '' : 's'} at top-${e.expertsPerToken}; busiest expert ${e.busiestExpertRows} row${e.busiestExpertRows === 1 ? '' : 's'}`;
}
