import { Option, type Command } from 'commander';
import { loadHardware } from '../../backends/index.js';
import { boardsTable, compareBoards } from '../../compare/index.js';
import { UsageError } from '../../errors.js';
import { loadModel } from '../../model/index.js';
import { casesFromOption } from '../../profiler/index.js';
import type { CliIo } from '../io.js';
import { cliCache, hardwareHelp, keyValue, modelHelp, positiveInteger, stackHelp, threadCount } from '../options.js';
import { Progress } from '../progress.js';
import { parallelOf, withParallelOptions, withRouterOption, type ParallelCliOptions, type RouterCliOptions } from '../parallel-options.js';

/* `boards`: the library's board comparison (src/compare/boards.ts) as a table or JSON. */

interface BoardsOptions extends ParallelCliOptions, RouterCliOptions {
  hardware: string[];
  stack?: string;
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
  return withRouterOption(withParallelOptions(command))
    .addOption(new Option('--hardware <files...>', hardwareHelp('hardware configurations, each')).default(DEFAULT_BOARDS, DEFAULT_BOARDS.join(' ')))
    .option('--stack <name>', `${stackHelp()}; applied to every GPU and ASIC board given`)
    .addOption(new Option('--model <files...>', modelHelp('model descriptions, each')).default(['llama2-7b'], 'llama2-7b'))
    .option('--case <case>', 'the request, batch x prompt x generated; served with the same lengths', '1x128x512')
    .option('--concurrency <n>', 'clients of the served workload (requests: twice as many)', positiveInteger, 32)
    .option('--no-serve', 'leave out the served workload')
    .option('--set <key=value>', 'override a value in every hardware file (repeatable)', keyValue)
    .option('--jobs <n>', 'worker threads (default: one per core)', threadCount)
    .option('--no-cache', 'keep no step-cost tables between runs')
    .option('--json', 'print one JSON document instead of the table');
}

export async function run(options: BoardsOptions, io: CliIo): Promise<void> {
  const cases = casesFromOption(options.case);
  if (cases.length !== 1) throw new UsageError({ what: `--case takes one case, got ${cases.length}` });
  const boards = options.hardware.map((file) => {
    const board = loadHardware(file, { cache: cliCache(true, io), overrides: options.set });
    // FPGA boards keep their architecture's own software: the stack goes to GPUs and ASICs only.
    return options.stack === undefined || board.kind !== 'roofline' ? board : loadHardware(file, { cache: cliCache(true, io), overrides: options.set, stack: options.stack });
  });
  const models = options.model.map((file) => loadModel(file).model);
  const progress = new Progress('boards', io.stderr);
  const concurrency = options.serve ? options.concurrency : undefined;
  const parallel = parallelOf(options);
  const rows = await compareBoards({ boards, models, case: cases[0]!, concurrency, threads: options.jobs, cache: cliCache(options.cache, io), parallel, router: options.router, onRow: (done, total, row) => progress.update(done, total, `${row.hardware} × ${row.model}`) });
  progress.finish(`${rows.length} model × board pairs`);
  // Absent figures are null in JSON, never missing keys.
  // A case's figures also under `fpga`, their name before 0.2 (deprecated; removed in 0.3).
  const document = rows.map((row) => (row.result === undefined ? row : { ...row, result: { ...row.result, fpga: row.result.device } }));
  io.stdout.write(options.json === true ? `${JSON.stringify(document, (_, value: unknown) => (value === undefined ? null : value), 2)}\n` : boardsTable(rows, { case: options.case, concurrency, layout: parallel.layout }));
}
