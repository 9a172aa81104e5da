import Table from 'cli-table3';
import type { Command } from 'commander';
import { dtypeBits } from '../../dtype.js';
import { UsageError, UserError } from '../../errors.js';
import { compileTarget, loadHardware, modelOnBoard, type Hardware } from '../../backends/index.js';
import { loadModel, type Model, type Precision } from '../../model/index.js';
import { casesFromOption, profileCases, type Case, type CaseResult } from '../../profiler/index.js';
import { serve } from '../../serving/index.js';
import type { CliIo } from '../io.js';
import { cliCache, hardwareHelp, keyValue, modelHelp, positiveInteger } from '../options.js';
import { Progress } from '../progress.js';

/*
 * One table for FPGAs, GPUs and ASICs: every model on every board, one
 * request at batch 1 and a served workload at a fixed concurrency, each
 * figure beside its physical bound, with tokens per joule and per dollar
 * where the board's file describes energy and a price. Each board runs the
 * model at the model's precision, or at the board's default where it
 * refuses that one (a GPU given FlightLLM's int8 mapping runs FP16).
 */

interface BoardsOptions {
  hardware: string[];
  model: string[];
  case: string;
  concurrency: number;
  serve: boolean;
  set?: Record<string, unknown>;
  jobs?: number;
  json?: boolean;
  cache: boolean;
}

/** FlightLLM's board, the FPGAs it was or could be built on, the DPU card, then GPUs and ASICs. */
const DEFAULT_BOARDS = ['vhk158', 'u280', 'v80', 'u250', 'a100-80gb-sxm-vllm', 'a100-80gb-pcie', 'h100-sxm', 'v100s', 'k100-ai', 'sg2260', 's60'];

export function addOptions(command: Command): Command {
  return command
    .option('--hardware <files...>', hardwareHelp('hardware configurations, each'), DEFAULT_BOARDS)
    .option('--model <files...>', modelHelp('model descriptions, each'), ['llama2-7b'])
    .option('--case <case>', 'the request, batch x prompt x generated; served with the same lengths', '1x128x512')
    .option('--concurrency <n>', 'clients of the served workload (requests: twice as many)', positiveInteger, 32)
    .option('--no-serve', 'leave out the served workload')
    .option('--set <key=value>', 'override a value in every hardware file (repeatable)', keyValue)
    .option('--jobs <n>', 'worker threads (default: one per core)', positiveInteger)
    .option('--no-cache', 'keep no step-cost tables between runs')
    .option('--json', 'print one JSON document instead of the table');
}

export async function run(options: BoardsOptions, io: CliIo): Promise<void> {
  const cases = casesFromOption(options.case);
  if (cases.length !== 1) throw new UsageError({ what: `--case takes one case, got ${cases.length}` });
  const rows = await runAll(options, cases[0]!, io);
  // Absent figures are null in JSON, never missing keys.
  // A case's figures also under `fpga`, their name before 0.2 (deprecated; removed in 0.3).
  const document = rows.map((row) => (row.result === undefined ? row : { ...row, result: { ...row.result, fpga: row.result.device } }));
  io.stdout.write(options.json === true ? `${JSON.stringify(document, (_, value: unknown) => (value === undefined ? null : value), 2)}\n` : table(rows, options));
}

/** The served workload's figures. */
interface ServedFigures {
  readonly outputTokensPerSecond: number;
  /** Output tokens per second were every step at its bound. */
  readonly boundTokensPerSecond: number;
  readonly tokensPerJoule: number | null;
  readonly tokensPerDollar: number | null;
  readonly meanPowerWatts: number | null;
}

interface BoardRow {
  readonly hardware: string;
  readonly kind: Hardware['kind'];
  readonly model: string;
  readonly precision: string;
  readonly result: CaseResult | undefined;
  readonly served: ServedFigures | undefined;
  /** Why the model could not run there (it does not fit, a precision the board lacks). */
  readonly refused: string | undefined;
}

async function runAll(options: BoardsOptions, c: Case, io: CliIo): Promise<BoardRow[]> {
  const boards = options.hardware.map((file) => loadHardware(file, { cache: cliCache(true, io), overrides: options.set }));
  const models = options.model.map((file) => loadModel(file).model);
  const progress = new Progress('boards', io.stderr);
  const rows: BoardRow[] = [];
  for (const hardware of boards) {
    for (const given of models) {
      const model = modelOnBoard(given, hardware).model;
      const row = { hardware: hardware.name, kind: hardware.kind, model: model.displayName ?? model.name, precision: streamedPrecision(model.mapping.precision, hardware) };
      try {
        const result = await profileCases({ hardware, cases: [c], source: { kind: 'model', model }, threads: options.jobs });
        const served = options.serve ? servedFigures({ hardware, model, c, concurrency: options.concurrency, cache: cliCache(options.cache, io) }) : undefined;
        rows.push({ ...row, result: result.cases[0], served, refused: undefined });
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        rows.push({ ...row, result: undefined, served: undefined, refused: error.message });
      }
      progress.update(rows.length, boards.length * models.length, `${hardware.name} × ${row.model}`);
    }
  }
  progress.finish(`${rows.length} model × board pairs`);
  return rows;
}

/** Twice `concurrency` requests of the case's lengths, sent at once, at most `concurrency` in flight. */
function servedFigures(s: { hardware: Hardware; model: Model; c: Case; concurrency: number; cache: ReturnType<typeof cliCache> }): ServedFigures {
  const workload = { datasetName: 'random' as const, numPrompts: 2 * s.concurrency, randomInputLen: s.c.prompt, randomOutputLen: s.c.generated, randomRangeRatio: 0, seed: 0 };
  const { result } = serve({ hardware: s.hardware, model: s.model, workload, maxConcurrency: s.concurrency, cache: s.cache });
  const outputTokens = result.total_output_tokens;
  return {
    outputTokensPerSecond: result.output_throughput,
    boundTokensPerSecond: outputTokens / ((result.bound_ms) / 1000),
    tokensPerJoule: result.output_tokens_per_joule,
    tokensPerDollar: result.output_tokens_per_dollar,
    meanPowerWatts: result.mean_power_watts,
  };
}

/** What a precision amounts to on a board: `W4A8` for FlightLLM's int8-labelled 4-bit weights, `W8A8, KV16`, … */
function streamedPrecision(precision: Precision, hw: Hardware): string {
  const weightBits = precision.weightBits ?? compileTarget(hw).weightBits(precision.weights);
  const activationBits = dtypeBits(precision.activations);
  const kvBits = dtypeBits(precision.kvCache);
  const name = precision.preset === 'flightllm' ? '' : ` ${precision.preset}`;
  return `W${weightBits}A${activationBits}${kvBits === activationBits ? '' : `, KV${kvBits}`}${name}`;
}

const fixed = (value: number | null | undefined, digits: number) => (value === null || value === undefined ? '—' : value.toFixed(digits));
const thousands = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${(value / 1000).toFixed(0)}k`);

function table(rows: readonly BoardRow[], options: BoardsOptions): string {
  const head = ['board', 'model', 'precision', 'prefill ms', 'bound', 'token/s', 'bound', 'token/J', 'token/$'];
  if (options.serve) head.push(`served token/s`, 'bound', 'token/J', 'token/$', 'W');
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  const notes: string[] = [];
  for (const row of rows) {
    const r = row.result;
    if (r === undefined) {
      notes.push(`${row.hardware} × ${row.model}: ${row.refused}`);
      t.push([row.hardware, row.model, row.precision, 'refused', ...head.slice(4).map(() => '')]);
      continue;
    }
    const cells = [row.hardware, row.model, row.precision, fixed(r.device.prefillMs, 1), fixed(r.bound.prefillMs, 1), fixed(r.device.tokensPerSecond, 2), fixed(r.bound.tokensPerSecond, 2), fixed(r.energy?.tokensPerJoule, 3), thousands(r.energy?.tokensPerDollar)];
    if (options.serve) {
      const s = row.served;
      cells.push(fixed(s?.outputTokensPerSecond, 1), fixed(s?.boundTokensPerSecond, 1), fixed(s?.tokensPerJoule, 3), thousands(s?.tokensPerDollar), fixed(s?.meanPowerWatts, 0));
    }
    t.push(cells);
  }
  const served = options.serve ? `; served: ${2 * options.concurrency} requests of the same lengths, ${options.concurrency} at a time` : '';
  const legend = `Case ${options.case} (batch x prompt x generated)${served}. bound: the physical bound of the figure beside it; token/$: tokens an hour of the board buys per dollar of its price`;
  return `${legend}\n${t.toString()}\n${notes.map((note) => `${note}\n`).join('')}`;
}
