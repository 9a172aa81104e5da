import { InvalidArgumentError, Option, type Command } from 'commander';
import { DATASET_NAMES, POLICY_NAMES, ROUTER_NAMES, SERVING_DEFAULTS, WORKLOAD_DEFAULTS, type DatasetName, type PolicyName, type RouterName, type ServeOptions, type WorkloadOptions } from '../serving/index.js';
import { parallelOf, type ParallelCliOptions } from './parallel-options.js';
import { positiveInteger } from './options.js';

/*
 * The serving options of `serve` and `bench`, under the names vLLM gives
 * them: the engine's (`vllm serve`) and the benchmark client's
 * (`vllm bench serve`).
 */

export interface ServingCliOptions extends ParallelCliOptions {
  policy: PolicyName;
  router: RouterName;
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  enableChunkedPrefill?: boolean;
  enablePrefixCaching?: boolean;
  blockSize?: number;
  numGpuBlocksOverride?: number;
  datasetName: DatasetName;
  datasetPath?: string;
  numPrompts?: number;
  requestRate: number;
  burstiness: number;
  maxConcurrency?: number;
  seed: number;
  randomInputLen: number;
  randomOutputLen: number;
  randomRangeRatio: number;
  randomPrefixLen: number;
  multiturnTurns: number;
  multiturnPrefixLen: number;
  multiturnInputLen: number;
  multiturnOutputLen: number;
  metricPercentiles: number[];
  goodput?: Record<string, number>;
  exact?: boolean;
}

/** The serving options; `sweep` leaves out --request-rate and --max-concurrency, which `bench` takes as lists. */
export function withServingOptions(command: Command, sweep = false): Command {
  const client = sweep ? command : command.addOption(new Option('--request-rate <rps>', 'requests per second, or inf to send them all at once').argParser(rate).default(Infinity, 'inf')).option('--max-concurrency <n>', 'requests in flight at most (with inf rate: a closed loop of n clients)', positiveInteger);
  return client
    .option('--policy <name>', `batch policy: ${POLICY_NAMES.join(', ')}`, choice('--policy', POLICY_NAMES), SERVING_DEFAULTS.policy)
    .option('--router <name>', `with --data-parallel-size: how requests are spread over the replicas: ${ROUTER_NAMES.join(', ')}`, choice('--router', ROUTER_NAMES), 'least-loaded')
    .option('--max-num-seqs <n>', `sequences in a step (the batch size of static batches; default: the board's --stack, else ${SERVING_DEFAULTS.maxNumSeqs})`, positiveInteger)
    .option('--max-num-batched-tokens <n>', `tokens one step computes (default: the board's --stack, else ${SERVING_DEFAULTS.maxNumBatchedTokens})`, positiveInteger)
    .option('--enable-chunked-prefill', "split prompts to fill the token budget beside running decodes (default, unless the board's --stack says otherwise)")
    .option('--no-enable-chunked-prefill', 'steps of whole prompts first, then steps of decodes')
    .option('--enable-prefix-caching', "share the KV blocks of equal prompt prefixes (default, unless the board's --stack says otherwise; vllm policy)")
    .option('--no-enable-prefix-caching', 'compute every prompt in full')
    .option('--block-size <tokens>', "tokens per KV block (default: the board's kvCache.blockTokens)", positiveInteger)
    .option('--num-gpu-blocks-override <n>', 'KV blocks, instead of what device memory holds', positiveInteger)
    .option('--dataset-name <name>', `workload: ${DATASET_NAMES.join(', ')}`, choice('--dataset-name', DATASET_NAMES), 'random')
    .option('--dataset-path <file>', 'a trace: Vidur CSV (arrived_at,num_prefill_tokens,num_decode_tokens) or JSONL (input_toks, output_toks, arrival_time_ns, input_tok_ids)')
    .option('--num-prompts <n>', `requests (default ${WORKLOAD_DEFAULTS.numPrompts}; a trace: all of it)`, positiveInteger)
    .option('--burstiness <factor>', 'gamma shape of the gaps between requests: 1 is Poisson, lower is burstier', positiveNumber('--burstiness'), 1)
    .option('--seed <n>', 'seed of the workload', nonNegativeInteger, 0)
    .option('--random-input-len <tokens>', 'random dataset: prompt length', positiveInteger, WORKLOAD_DEFAULTS.randomInputLen)
    .option('--random-output-len <tokens>', 'random dataset: output length', positiveInteger, WORKLOAD_DEFAULTS.randomOutputLen)
    .option('--random-range-ratio <ratio>', 'random dataset: lengths drawn uniformly within ± this fraction', ratio, WORKLOAD_DEFAULTS.randomRangeRatio)
    .option('--random-prefix-len <tokens>', 'random dataset: a prefix every prompt shares', nonNegativeInteger, WORKLOAD_DEFAULTS.randomPrefixLen)
    .option('--multiturn-turns <n>', 'multiturn dataset: turns per conversation', positiveInteger, WORKLOAD_DEFAULTS.multiturnTurns)
    .option('--multiturn-prefix-len <tokens>', 'multiturn dataset: the system prompt every conversation shares', nonNegativeInteger, WORKLOAD_DEFAULTS.multiturnPrefixLen)
    .option('--multiturn-input-len <tokens>', 'multiturn dataset: each new message', positiveInteger, WORKLOAD_DEFAULTS.multiturnInputLen)
    .option('--multiturn-output-len <tokens>', 'multiturn dataset: each reply', positiveInteger, WORKLOAD_DEFAULTS.multiturnOutputLen)
    .addOption(new Option('--metric-percentiles <list>', 'percentiles reported, comma-separated').argParser(percentileList).default([...SERVING_DEFAULTS.percentiles], SERVING_DEFAULTS.percentiles.join(',')))
    .option('--goodput <slo...>', 'service-level objectives KEY:MS (ttft, tpot, e2el): requests meeting all count towards request_goodput', goodputPairs)
    .option('--exact', 'cost every step by simulating it whole (slow) instead of from tables');
}

/** The workload the options describe. */
export function workloadOf(options: ServingCliOptions): WorkloadOptions {
  return {
    datasetName: options.datasetName,
    datasetPath: options.datasetPath,
    numPrompts: options.numPrompts,
    requestRate: options.requestRate,
    burstiness: options.burstiness,
    seed: options.seed,
    randomInputLen: options.randomInputLen,
    randomOutputLen: options.randomOutputLen,
    randomRangeRatio: options.randomRangeRatio,
    randomPrefixLen: options.randomPrefixLen,
    multiturnTurns: options.multiturnTurns,
    multiturnPrefixLen: options.multiturnPrefixLen,
    multiturnInputLen: options.multiturnInputLen,
    multiturnOutputLen: options.multiturnOutputLen,
  };
}

/** The engine and client settings the options give, for `serve()`. */
export function servingSettings(options: ServingCliOptions): Omit<ServeOptions, 'hardware' | 'model' | 'workload'> {
  return {
    policy: options.policy,
    router: options.router,
    parallel: parallelOf(options),
    maxNumSeqs: options.maxNumSeqs,
    maxNumBatchedTokens: options.maxNumBatchedTokens,
    enableChunkedPrefill: options.enableChunkedPrefill,
    enablePrefixCaching: options.enablePrefixCaching,
    blockSize: options.blockSize,
    numGpuBlocksOverride: options.numGpuBlocksOverride,
    maxConcurrency: options.maxConcurrency,
    exact: options.exact === true,
    percentiles: options.metricPercentiles,
    goodput: options.goodput === undefined ? undefined : { ttft: options.goodput['ttft'], tpot: options.goodput['tpot'], e2el: options.goodput['e2el'] },
  };
}

function choice<T extends string>(flag: string, names: readonly T[]): (value: string) => T {
  return (value) => {
    if ((names as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${flag} expects one of ${names.join(', ')}, got "${value}".`);
  };
}

function rate(value: string): number {
  if (value === 'inf') return Infinity;
  const parsed = Number(value);
  if (!(parsed > 0) || !Number.isFinite(parsed)) throw new InvalidArgumentError(`expected requests per second (> 0) or inf, got "${value}".`);
  return parsed;
}

function positiveNumber(flag: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!(parsed > 0)) throw new InvalidArgumentError(`${flag} expects a positive number, got "${value}".`);
    return parsed;
  };
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`expected a whole number, got "${value}".`);
  return parsed;
}

function ratio(value: string): number {
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed < 1)) throw new InvalidArgumentError(`expected a ratio in [0, 1), got "${value}".`);
  return parsed;
}

function percentileList(value: string): number[] {
  const items = value.split(',').map((p) => p.trim());
  // Number('') is 0: an empty item is refused, not read as the 0th percentile.
  const list = items.map((p) => (p === '' ? Number.NaN : Number(p)));
  if (list.some((p) => !(p >= 0 && p <= 100))) throw new InvalidArgumentError(`expected percentiles between 0 and 100, comma-separated, got "${value}".`);
  const repeated = list.find((p, at) => list.indexOf(p) !== at);
  if (repeated !== undefined) throw new InvalidArgumentError(`each percentile once, got ${repeated} twice in "${value}".`);
  return list;
}

const GOODPUT_KEYS = ['ttft', 'tpot', 'e2el'];

function goodputPairs(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const match = /^(\w+):(.+)$/.exec(value.trim());
  if (match === null || !GOODPUT_KEYS.includes(match[1]!) || !(Number(match[2]) >= 0)) {
    throw new InvalidArgumentError(`expected KEY:MILLISECONDS with KEY one of ${GOODPUT_KEYS.join(', ')}, got "${value}".`);
  }
  return { ...previous, [match[1]!]: Number(match[2]) };
}

/** A comma-separated list of positive whole numbers (`1,2,4,8`), for sweeps of counts such as client concurrency. */
export function integerList(flag: string): (value: string) => number[] {
  return (value) => {
    const list = value.split(',').map((v) => (v.trim() === '' ? Number.NaN : Number(v.trim())));
    if (list.some((v) => !Number.isInteger(v) || v < 1)) throw new InvalidArgumentError(`${flag} expects positive whole numbers, comma-separated, got "${value}".`);
    return list;
  };
}

/** A comma-separated list of positive numbers (`1,2,4,8`), for sweeps. */
export function numberList(flag: string): (value: string) => number[] {
  return (value) => {
    const list = value.split(',').map((v) => (v.trim() === 'inf' ? Infinity : v.trim() === '' ? Number.NaN : Number(v.trim())));
    if (list.length === 0 || list.some((v) => !(v > 0))) throw new InvalidArgumentError(`${flag} expects positive numbers, comma-separated, got "${value}".`);
    return list;
  };
}
