import { join } from 'node:path';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { deviceLabel } from '../../backends/index.js';
import { figureFiles } from '../../figures/index.js';
import { benchServing, distributionSpec, K100_AI_SCENARIOS, latencyPercentilesSpec, powersOfTwo, throughputSpec, tokensPerJouleSpec, type BenchPoint, type Scenario } from '../../serving/index.js';
import { checkOutputDirectory, OutputSet } from '../../util/output-set.js';
import { loadBoardAndModel, withBoardAndModel, type BoardModelOptions } from '../board-model.js';
import type { CliIo } from '../io.js';
import { cliCache } from '../options.js';
import { Progress } from '../progress.js';
import { integerList, numberList, servingSettings, withServingOptions, workloadOf, type ServingCliOptions } from '../serving-options.js';

/*
 * `bench`: a serving sweep over client concurrencies (a closed loop of N
 * clients) or request rates. Given no scenario (no lengths, dataset or
 * list), the K100-AI benchmark's four scenarios. One table row per point,
 * and figures with --figures.
 */

interface BenchCliOptions extends BoardModelOptions, Omit<ServingCliOptions, 'requestRate' | 'maxConcurrency'> {
  maxConcurrency?: number[];
  requestRate?: number[];
  json?: boolean;
  figures?: string;
}

export function addOptions(command: Command): Command {
  return withServingOptions(withBoardAndModel(command), true)
    .option('--max-concurrency <list>', 'client concurrencies to sweep, comma-separated (default: powers of two up to 32)', integerList('--max-concurrency'))
    .option('--request-rate <list>', 'request rates to sweep instead, comma-separated (req/s)', numberList('--request-rate'))
    .option('--json', 'print every point as JSON')
    .option('--figures <dir>', 'write figures, each as SVG and PNG: throughput, E2E percentiles and tokens per joule against concurrency, TTFT and ITL distributions');
}

export async function run(options: BenchCliOptions, io: CliIo, command?: Command): Promise<void> {
  if (options.figures !== undefined) checkOutputDirectory(options.figures);
  const { hardware, model, label } = loadBoardAndModel(options, io);
  const scenarios = scenariosOf(options, command);
  const progress = new Progress('bench', io.stderr);
  const started = performance.now();
  const points = benchServing({
    hardware,
    model,
    scenarios,
    settings: servingSettings({ ...options, maxConcurrency: undefined, requestRate: Infinity }),
    numPrompts: options.numPrompts,
    cache: cliCache(options.cache, io),
    onPoint: (done, total, point) => progress.update(done, total, `${point.scenario} at ${point.maxConcurrency ?? `${point.requestRate} req/s`}`),
  });
  progress.finish(`${points.length} points in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (options.figures !== undefined) await writeFigures(options.figures, points, `${label} on ${deviceLabel(hardware)}`, io);
  io.stdout.write(options.json === true ? `${JSON.stringify({ hardware: hardware.name, model: label, points: points.map(({ requests: _, ...rest }) => rest) }, null, 2)}\n` : benchTable(points, `${label} on ${deviceLabel(hardware)}, policy ${options.policy}`));
}

/** The scenarios the options describe: one of their own when they give lengths, a dataset or a list; else the K100-AI four. */
function scenariosOf(options: BenchCliOptions, command: Command | undefined): Scenario[] {
  const given = (name: string) => command !== undefined && command.getOptionValueSource(name) === 'cli';
  const custom = ['randomInputLen', 'randomOutputLen', 'datasetName', 'maxConcurrency', 'requestRate', 'randomRangeRatio'].some(given);
  if (!custom) return [...K100_AI_SCENARIOS];
  const workload = workloadOf({ ...options, maxConcurrency: undefined, requestRate: Infinity });
  const name = options.datasetName === 'random' ? `${options.randomInputLen}/${options.randomOutputLen}` : options.datasetName;
  if (options.requestRate !== undefined) return [{ name, workload, rates: options.requestRate }];
  return [{ name, workload, concurrencies: options.maxConcurrency ?? powersOfTwo(32) }];
}

export function benchTable(points: readonly BenchPoint[], title: string): string {
  const table = new Table({
    head: ['scenario', 'concurrency', 'req/s', 'output tok/s', 'mean TTFT ms', 'mean ITL ms', 'P50 E2E ms', 'P99 E2E ms', 'KV peak %', 'preempted', 'tok/J', 'W'],
    style: { head: [], border: [], compact: true },
  });
  for (const p of points) {
    const r = p.result;
    table.push([p.scenario, p.maxConcurrency === undefined ? `${p.requestRate} req/s` : String(p.maxConcurrency), r.request_throughput.toFixed(2), r.output_throughput.toFixed(1), r.mean_ttft_ms.toFixed(1), r.mean_itl_ms.toFixed(2), r.p50_e2el_ms.toFixed(0), r.p99_e2el_ms.toFixed(0), (r.peak_kv_cache_usage * 100).toFixed(1), String(r.preemptions), optional(p.result.output_tokens_per_joule, 3), optional(p.result.mean_power_watts, 0)]);
  }
  return `${title}\n${table.toString()}\n`;
}

/** A figure the board may lack (energy without an energy description): — then. */
function optional(value: unknown, digits: number): string {
  return typeof value === 'number' ? value.toFixed(digits) : '—';
}

async function writeFigures(directory: string, points: readonly BenchPoint[], title: string, io: CliIo): Promise<void> {
  const figures: Array<[string, Record<string, unknown>]> = [
    ['throughput', throughputSpec(points, title)],
    ['e2e-latency', latencyPercentilesSpec(points, title)],
    ...(points.some((p) => typeof p.result.output_tokens_per_joule === 'number') ? [['tokens-per-joule', tokensPerJouleSpec(points, title)] as [string, Record<string, unknown>]] : []),
    ['ttft-distribution', distributionSpec(points, 'ttft', title)],
    ['itl-distribution', distributionSpec(points, 'itl', title)],
  ];
  const outputs = new OutputSet();
  for (const [name, spec] of figures) for (const [path, data] of await figureFiles(join(directory, name), spec)) outputs.add(path, data);
  outputs.commit();
  for (const path of outputs.paths) io.stderr.write(`fpga-llm-sim: wrote ${path}\n`);
}
