import { basename, join } from 'node:path';
import Table from 'cli-table3';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { figureFiles } from '../../figures/index.js';
import {
  bestRow,
  defaultHeatmap,
  heatmapSpec,
  inputColumns,
  loadSweepSpec,
  localPool,
  mergeSweepTables,
  paretoFront,
  withinConstraints,
  paretoSpec,
  PointStore,
  queueExecutor,
  readSweepTable,
  sweep,
  sweepTable,
  tableObjectives,
  writeSweepTable,
  NO_WORKER_TIMEOUT_MS,
  type PointExecutor,
  type Shard,
  type SweepTable,
  type TableRow,
} from '../../sweep/index.js';
import type { CacheRejection } from '../../util/cache.js';
import { checkOutputDirectory, OutputSet } from '../../util/output-set.js';
import { EXIT_INCOMPLETE, EXIT_INTERNAL_ERROR, type CliIo } from '../io.js';
import { cliCache, positiveInteger, reportRejection, threadCount } from '../options.js';
import { Progress } from '../progress.js';

/*
 * `sweep SPEC`: every point of a sweep spec (or one shard of them) on the
 * local worker pool or a Redis queue, results to results.csv and
 * results.parquet, the Pareto front and a heat map as SVG, and the best
 * points on stdout. `sweep merge --out DIR SHARD_DIR...` joins shards.
 */

interface SweepCliOptions {
  out?: string;
  shard?: Shard;
  shardCount?: number;
  queue?: string;
  queueName?: string;
  jobs?: number;
  force?: boolean;
  allowFailures?: boolean;
  workerTimeout: number;
  figures: boolean;
  json?: boolean;
  cache: boolean;
}

export function addOptions(command: Command): Command {
  return command
    .argument('<spec>', 'sweep spec (YAML; see ir/sweeps/), or "merge" followed by the output directories of shards')
    .argument('[shard-dirs...]', 'with merge: the output directories of the shards')
    .option('--out <dir>', 'output directory (default: compiler_output/sweeps/<spec name>/, a shard in shard-<i>-of-<n>/ below it)')
    .option('--shard <i/n>', 'run shard i of n (i from 0): every n-th point from the i-th (default: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with --shard-count)', shardOption)
    .option('--shard-count <n>', "shards in all, with Kubernetes Indexed Jobs' JOB_COMPLETION_INDEX (the Job's completions)", positiveInteger)
    .option('--queue <url>', 'run the points on a BullMQ queue in Redis (redis://HOST:PORT, a loopback address) served by `fpga-llm-sim worker` processes')
    .option('--queue-name <name>', 'the queue to use', 'fpga-llm-sim-sweep')
    .option('--jobs <n>', 'worker threads (default: one per core)', threadCount)
    .option('--force', 'run every point again, even those whose results are stored (in --out/points/, or kept by the queue)')
    .option('--allow-failures', 'exit 0 even when points failed (a refused configuration is then a result, not a failure)')
    .option('--worker-timeout <s>', 'with --queue: give up after this long with points outstanding and no worker connected', positiveInteger, NO_WORKER_TIMEOUT_MS / 1000)
    .option('--no-figures', 'write no SVG figures')
    .option('--json', 'print every row as JSON instead of the summary')
    .option('--no-cache', 'parse board files afresh');
}

export async function run(options: SweepCliOptions, io: CliIo, command: Command): Promise<number | void> {
  const [specPath, ...dirs] = command.args as string[];
  if (specPath === 'merge') return merge(options, dirs, io);
  if (dirs.length > 0) throw new UsageError({ what: `sweep takes one spec, got ${command.args.length} arguments`, detail: 'to join shards, run sweep merge --out DIR SHARD_DIR...' });
  const spec = loadSweepSpec(specPath!);
  const shard = shardOf(options, io);
  const out = options.out ?? join('compiler_output', 'sweeps', spec.name, ...(shard === undefined ? [] : [`shard-${shard.index}-of-${shard.count}`]));
  checkOutputDirectory(out);
  const progress = new Progress('sweep', io.stderr);
  const started = performance.now();
  const onRejected = (rejection: CacheRejection) => reportRejection(rejection, io);
  const result = await sweep(spec, {
    shard,
    store: new PointStore(join(out, 'points'), { onRejected }),
    force: options.force,
    cache: cliCache(options.cache, io),
    executor: executorOf(options, io),
    onProgress: (p) => progress.update(p.done, p.total, `points (${p.reused} reused, ${p.failed} failed)`),
  });
  const seconds = (performance.now() - started) / 1000;
  const table = sweepTable(result);
  const failed = table.rows.filter((row) => row['status'] !== 'ok');
  const where = shard === undefined ? '' : ` (shard ${shard.index}/${shard.count})`;
  progress.finish(`${table.rows.length} points${where}: ${table.rows.length - failed.length} ok, ${failed.length} failed; ${result.ran} run, ${result.reused} reused, in ${seconds.toFixed(1)} s`);
  return report(table, { out, figures: options.figures && shard === undefined, json: options.json === true, allowFailures: options.allowFailures === true }, io);
}

function executorOf(options: SweepCliOptions, io: CliIo): PointExecutor {
  if (options.queue === undefined) return localPool({ threads: options.jobs });
  return queueExecutor({
    url: options.queue,
    queueName: options.queueName,
    noWorkerTimeoutMs: options.workerTimeout * 1000,
    onNotice: (message) => io.stderr.write(`\nfpga-llm-sim: ${message}\n`),
    onRejected: (rejection) => reportRejection(rejection, io),
  });
}

/** Joins shard directories into one table in --out. */
async function merge(options: SweepCliOptions, dirs: readonly string[], io: CliIo): Promise<number | void> {
  if (dirs.length === 0) throw new UsageError({ what: 'sweep merge needs the output directories of the shards', detail: 'e.g. sweep merge --out DIR DIR/shard-0-of-2 DIR/shard-1-of-2.' });
  const table = mergeSweepTables(dirs.map(readSweepTable), dirs);
  const out = options.out ?? join('compiler_output', 'sweeps', table.manifest.name);
  checkOutputDirectory(out);
  io.stderr.write(`sweep: merged ${dirs.length} shards, ${table.rows.length} points\n`);
  return report(table, { out, figures: options.figures, json: options.json === true, allowFailures: options.allowFailures === true }, io);
}

/**
 * Writes the table and the figures as one set, prints the summary (or every
 * row), and says what failed and why. Exit 0 only when every point has its
 * result: refused configurations exit 1 unless --allow-failures; our own
 * errors always exit 1.
 */
async function report(table: SweepTable, options: { out: string; figures: boolean; json: boolean; allowFailures: boolean }, io: CliIo): Promise<number | void> {
  const outputs = new OutputSet();
  if (options.figures) for (const [name, data] of await figures(table)) outputs.add(join(options.out, name), data);
  await writeSweepTable(options.out, table, outputs);
  io.stderr.write(`fpga-llm-sim: wrote ${outputs.paths.map((path) => join(options.out, basename(path))).join(', ')}\n`);
  io.stdout.write(options.json ? `${JSON.stringify(table.rows, null, 1)}\n` : summary(table));
  const refused = table.rows.filter((row) => row['status'] === 'failed');
  const errors = table.rows.filter((row) => row['status'] === 'error');
  if (refused.length > 0) io.stderr.write(`fpga-llm-sim: ${refused.length} of ${table.rows.length} points failed (reasons in results.csv; --allow-failures to accept them):\n${failureReasons(refused)}`);
  if (errors.length > 0) {
    io.stderr.write(`fpga-llm-sim: internal error (please report it) at ${errors.length} points, which a rerun will try again; point ${String(errors[0]!['point'])}: ${String(errors[0]!['error'])}\n`);
    return EXIT_INTERNAL_ERROR;
  }
  return refused.length > 0 && !options.allowFailures ? EXIT_INCOMPLETE : undefined;
}

/** Failed points grouped by reason, most frequent first, a few lines at most: `75 × reason (points 2, 5, 8, …)`. */
function failureReasons(rows: readonly TableRow[]): string {
  const groups = new Map<string, number[]>();
  for (const row of rows) {
    const reason = shortened(String(row['error']));
    groups.set(reason, [...(groups.get(reason) ?? []), row['point'] as number]);
  }
  const sorted = [...groups].sort((a, b) => b[1].length - a[1].length);
  const lines = sorted.slice(0, MAX_REASONS_SHOWN).map(([reason, points]) => `  ${points.length} × ${reason} (point${points.length > 1 ? 's' : ''} ${points.slice(0, 4).join(', ')}${points.length > 4 ? ', …' : ''})`);
  if (sorted.length > MAX_REASONS_SHOWN) lines.push(`  and ${sorted.length - MAX_REASONS_SHOWN} more reasons`);
  return `${lines.join('\n')}\n`;
}

const MAX_REASONS_SHOWN = 5;

/** The Pareto front (with two objectives or more) and the heat map, each as SVG and PNG. */
async function figures(table: SweepTable): Promise<Array<readonly [string, string | Uint8Array]>> {
  const files: Array<readonly [string, string | Uint8Array]> = [];
  if (table.manifest.spec.objectives.length >= 2) files.push(...(await figureFiles('pareto', paretoSpec(table))));
  const heatmap = defaultHeatmap(table);
  if (heatmap !== undefined) files.push(...(await figureFiles('heatmap', heatmapSpec(table, heatmap))));
  return files;
}

/** The best point by each objective, then the Pareto front of the first two. */
function summary(table: SweepTable): string {
  const objectives = tableObjectives(table);
  const inputs = inputColumns(table).filter((name) => new Set(table.rows.map((row) => row[name])).size > 1 || name === 'board');
  const head = ['', 'point', ...inputs, ...objectives.map((o) => `${o.name} (${o.unit}, ${o.direction})`)];
  const line = (label: string, row: TableRow) => [label, String(row['point']), ...inputs.map((name) => String(row[name] ?? '')), ...objectives.map((o) => format(row[o.name]))];
  const candidates = withinConstraints(table.rows, table.manifest.spec.constraints ?? {});
  const best = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const objective of objectives) {
    const row = bestRow(candidates, objective);
    if (row !== undefined) best.push(line(`best ${objective.name}`, row));
  }
  const parts = [`${table.manifest.name}: ${table.rows.length} points, ${table.rows.filter((row) => row['status'] === 'ok').length} ok${fitCounts(table)}\n${best.toString()}\n`];
  const pair = table.manifest.spec.figures.pareto ?? objectives.slice(0, 2).map((o) => o.name);
  const [x, y] = pair.map((name) => objectives.find((o) => o.name === name));
  if (x !== undefined && y !== undefined) {
    const front = paretoFront(candidates, [x, y]).sort((a, b) => (a[x.name] as number) - (b[x.name] as number));
    const t = new Table({ head, style: { head: [], border: [], compact: true } });
    for (const row of front) t.push(line('', row));
    parts.push(`Pareto front of ${x.name} and ${y.name}: ${front.length} points\n${t.toString()}\n`);
  }
  return parts.join('\n');
}

/** `, 90 fit their FPGA device, 2 within the constraints`: what the ranking chose from; empty where no point names a device. */
function fitCounts(table: SweepTable): string {
  const ok = table.rows.filter((row) => row['status'] === 'ok');
  const checked = ok.filter((row) => row['fits'] !== null && row['fits'] !== undefined);
  const fitting = ok.filter((row) => row['fits'] !== false);
  const constraints = table.manifest.spec.constraints ?? {};
  const within = Object.keys(constraints).length === 0 ? '' : `, ${withinConstraints(fitting, constraints).length} of them within the constraints`;
  return checked.length === 0 ? within : `, ${checked.filter((row) => row['fits'] === true).length} of them fit their FPGA device${within}`;
}

/** A failure reason cut to a line or two for the terminal; results.csv keeps it whole. */
function shortened(text: string): string {
  return text.length > 240 ? `${text.slice(0, 240)}…` : text;
}

function format(cell: TableRow[string]): string {
  if (typeof cell !== 'number') return cell === null || cell === undefined ? '—' : String(cell);
  return Math.abs(cell) >= 100 ? cell.toFixed(1) : cell.toFixed(2);
}

/** Commander parser of --shard i/n. */
function shardOption(value: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const shard = match === null ? undefined : { index: Number(match[1]), count: Number(match[2]) };
  if (shard === undefined || shard.count < 1 || shard.index >= shard.count) throw new InvalidArgumentError(`expected i/n with 0 <= i < n, e.g. 0/4, got "${value}".`);
  return shard;
}

/**
 * The shard to run: --shard, else a Slurm array task's (its id less the
 * array's first id, of its task count), else a Kubernetes Indexed Job's
 * completion index with --shard-count; none when nothing says.
 */
export function shardOf(options: { shard?: Shard; shardCount?: number }, io: CliIo): Shard | undefined {
  if (options.shard !== undefined) return options.shard;
  const env = io.env;
  const slurm = env['SLURM_ARRAY_TASK_ID'];
  if (slurm !== undefined && slurm !== '') {
    const shard = { index: Number(slurm) - Number(env['SLURM_ARRAY_TASK_MIN'] ?? 0), count: Number(env['SLURM_ARRAY_TASK_COUNT'] ?? Number.NaN) };
    return checkedShard(shard, `SLURM_ARRAY_TASK_ID=${slurm}, SLURM_ARRAY_TASK_MIN=${env['SLURM_ARRAY_TASK_MIN'] ?? '(unset)'}, SLURM_ARRAY_TASK_COUNT=${env['SLURM_ARRAY_TASK_COUNT'] ?? '(unset)'}`, io);
  }
  const k8s = env['JOB_COMPLETION_INDEX'];
  if (k8s !== undefined && k8s !== '') {
    if (options.shardCount === undefined) throw new UsageError({ what: `JOB_COMPLETION_INDEX=${k8s} is set, but not --shard-count`, detail: "give the Indexed Job's completions as --shard-count." });
    return checkedShard({ index: Number(k8s), count: options.shardCount }, `JOB_COMPLETION_INDEX=${k8s}, --shard-count ${options.shardCount}`, io);
  }
  if (options.shardCount !== undefined) throw new UsageError({ what: '--shard-count is for Kubernetes Indexed Jobs, whose JOB_COMPLETION_INDEX is not set', detail: 'give --shard i/n instead.' });
  return undefined;
}

function checkedShard(shard: Shard, from: string, io: CliIo): Shard {
  if (!Number.isInteger(shard.index) || !Number.isInteger(shard.count) || shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
    throw new UsageError({ what: `no shard can be read from ${from}`, detail: 'expected a task index from 0 to the task count − 1.' });
  }
  io.stderr.write(`sweep: shard ${shard.index}/${shard.count} (from ${from})\n`);
  return shard;
}
