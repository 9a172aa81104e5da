import Table from 'cli-table3';
import type { Command } from 'commander';
import { dtypeBits } from '../../dtype.js';
import { UsageError } from '../../errors.js';
import { compileTarget } from '../../backends/index.js';
import { loadHardware, type Hardware } from '../../hardware/index.js';
import { loadModel, type Precision } from '../../model/index.js';
import { casesFromOption, profileCases, type CaseResult } from '../../profiler/index.js';
import type { CliIo } from '../io.js';
import { cliCache, hardwareHelp, keyValue, modelHelp, positiveInteger } from '../options.js';
import { Progress } from '../progress.js';

/*
 * One case, every model on every board: latency and throughput beside the
 * physical bound of each, in one table. Each board's own padding applies.
 */

interface BoardsOptions {
  hardware: string[];
  model: string[];
  case: string;
  set?: Record<string, unknown>;
  jobs?: number;
  json?: boolean;
}

/** FlightLLM's board first, then the others it was or could be built on, then the DPU card. */
const DEFAULT_BOARDS = ['vhk158', 'u280', 'v80', 'u250'];

export function addOptions(command: Command): Command {
  return command
    .option('--hardware <files...>', hardwareHelp('hardware configurations, each'), DEFAULT_BOARDS)
    .option('--model <files...>', modelHelp('model descriptions, each'), ['llama2-7b', 'qwen2.5-7b'])
    .option('--case <case>', 'one case, batch x prompt x generated', '1x128x512')
    .option('--set <key=value>', 'override a value in every hardware file (repeatable)', keyValue)
    .option('--jobs <n>', 'worker threads (default: one per core)', positiveInteger)
    .option('--json', 'print one JSON document instead of the table');
}

export async function run(options: BoardsOptions, io: CliIo): Promise<void> {
  const cases = casesFromOption(options.case);
  if (cases.length !== 1) throw new UsageError({ what: `--case takes one case, got ${cases.length}` });
  const rows = await runAll(options, cases[0]!, io);
  io.stdout.write(options.json === true ? `${JSON.stringify(rows, null, 2)}\n` : table(rows, options.case));
}

interface BoardRow {
  readonly hardware: string;
  readonly model: string;
  readonly precision: string;
  readonly result: CaseResult | undefined;
  /** Why the model could not run there (it does not fit, a precision the board lacks). */
  readonly refused: string | undefined;
}

async function runAll(options: BoardsOptions, c: CaseResult['case'], io: CliIo): Promise<BoardRow[]> {
  const boards = options.hardware.map((file) => loadHardware(file, { cache: cliCache(true, io), overrides: options.set }));
  const models = options.model.map((file) => loadModel(file).model);
  const progress = new Progress('boards', io.stderr);
  const rows: BoardRow[] = [];
  for (const hardware of boards) {
    for (const model of models) {
      const row = { hardware: hardware.name, model: model.displayName ?? model.name, precision: streamedPrecision(model.mapping.precision, hardware) };
      try {
        const result = await profileCases({ hardware, cases: [c], source: { kind: 'model', model }, threads: options.jobs });
        rows.push({ ...row, result: result.cases[0], refused: undefined });
      } catch (error) {
        if (!(error instanceof Error) || error.name === 'Error') throw error;
        rows.push({ ...row, result: undefined, refused: error.message });
      }
      progress.update(rows.length, boards.length * models.length, `${hardware.name} × ${row.model}`);
    }
  }
  progress.finish(`${rows.length} model × board pairs`);
  return rows;
}

/** What a precision amounts to on a board: `W4A8` for FlightLLM's int8-labelled 4-bit weights, `W8A8, KV16`, … */
function streamedPrecision(precision: Precision, hw: Hardware): string {
  const weightBits = precision.weightBits ?? compileTarget(hw).weightBits(precision.weights);
  const activationBits = dtypeBits(precision.activations);
  const kvBits = dtypeBits(precision.kvCache);
  return `W${weightBits}A${activationBits}${kvBits === activationBits ? '' : `, KV${kvBits}`}`;
}

function table(rows: readonly BoardRow[], caseText: string): string {
  const t = new Table({
    head: ['board', 'model', 'precision', 'prefill ms', 'bound', 'decode token/s', 'bound', '% of bound'],
    style: { head: [], border: [], compact: true },
  });
  const notes: string[] = [];
  for (const row of rows) {
    const r = row.result;
    if (r === undefined) {
      notes.push(`${row.hardware} × ${row.model}: ${row.refused}`);
      t.push([row.hardware, row.model, row.precision, 'refused', '', '', '', '']);
      continue;
    }
    const share = (r.fpga.tokensPerSecond / r.bound.tokensPerSecond) * 100;
    t.push([row.hardware, row.model, row.precision, r.fpga.prefillMs.toFixed(1), r.bound.prefillMs.toFixed(1), r.fpga.tokensPerSecond.toFixed(2), r.bound.tokensPerSecond.toFixed(2), share.toFixed(0)]);
  }
  return `Case ${caseText} (batch x prompt x generated); bound: the physical bound of the same figure\n${t.toString()}\n${notes.map((note) => `${note}\n`).join('')}`;
}
