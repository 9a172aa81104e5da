import type { PolicyName } from '../serving/index.js';
import type { Measurement } from './measurements.js';

/*
 * What each published measurement is, as a simulation: the board, software
 * stack, model and precision it ran, the requests it served and how, and
 * which figure of the run the measurement is. A row the simulator cannot
 * run yet (several cards, a model or board without a file, a precision not
 * stated) is skipped with its reason, never silently. The benchmarks'
 * methods are validation/SOURCES.md's; each rule below names its group.
 */

/** The figure of a simulated run a measurement is compared with. */
export type Figure =
  /** Seconds until the last request of the run completes. */
  | 'e2e_s'
  /** The same in ms (a batch of one-token outputs: its time to first token). */
  | 'e2e_ms'
  /** The one request's time to its first token, ms. */
  | 'ttft_ms'
  /** Tokens generated over the whole request's time (gpt-fast's tokens/s). */
  | 'tokens_per_s'
  /** Tokens generated over the time after the first (FlightLLM's "Avg throughput"). */
  | 'decode_tokens_per_s'
  /** Output tokens per second of the whole run. */
  | 'output_tokens_per_s'
  /** The same, per card of the run (TensorRT-LLM 0.9's tokens/s/GPU). */
  | 'output_tokens_per_s_per_gpu'
  | 'mean_ttft_ms'
  | 'median_tpot_ms'
  | 'mean_itl_ms'
  /** Mean board power over the run plus an idle tail (NVML's probe window), W. */
  | 'power_w';

/**
 * The cards a row ran on, as a tensor- and pipeline-parallel layout: the
 * row's notes where they say (`TP=4`, `PP=2`), else every card in one
 * tensor-parallel group, as every benchmark here ran (an assumption the
 * case lists). `shardVocabulary`: the embedding and head split over the
 * cards (vLLM, TensorRT-LLM) or kept whole on each (gpt-fast's tp.py).
 */
export interface CaseLayout {
  readonly cards: number;
  readonly tensorParallelSize: number;
  readonly pipelineParallelSize: number;
  readonly shardVocabulary: boolean;
}

/** The requests of a run: all identical, sent at once or at a rate, at most `concurrency` in flight. */
export interface CaseWorkload {
  readonly requests: number;
  readonly inputLen: number;
  readonly outputLen: number;
  readonly requestRate: number;
  readonly concurrency: number | undefined;
  /** `static`: one batch run to completion (a benchmark's fixed batch); `vllm`: the stack's continuous batching. */
  readonly policy: PolicyName;
  /** Sequences per step where the benchmark fixes them (a static batch's size). */
  readonly maxNumSeqs: number | undefined;
}

/** A precision as a model's `mapping.precision` takes it (a preset, or a preset with fields changed); undefined: the model's own. */
export type CasePrecision = string | Readonly<Record<string, string | number>> | undefined;

export interface ValidationCase {
  readonly row: Measurement;
  readonly board: string;
  readonly stack: string | undefined;
  readonly model: string;
  readonly precision: CasePrecision;
  readonly layout: CaseLayout;
  readonly workload: CaseWorkload;
  readonly figure: Figure;
  /** Seconds of idle power the measurement's window adds after the run (power rows). */
  readonly idleTailSeconds: number;
  /** Whether the row was fitted on (split.ts), and the rule that says so. */
  readonly fit: boolean;
  readonly splitRule: string;
  /** What the simulation assumes beyond the row (lengths not stated, an arrival process), for the report. */
  readonly assumptions: readonly string[];
  /** Board values replaced, by dotted key (fitting runs a case with one coefficient at a time). */
  readonly overrides?: Readonly<Record<string, unknown>> | undefined;
}

export interface SkippedRow {
  readonly row: Measurement;
  readonly reason: string;
}

/** What the simulator has: shipped boards, models and stacks (with the measurements each stack describes). */
export interface Available {
  readonly boards: ReadonlySet<string>;
  /** Boards of kind roofline (GPUs, ASICs): the others take no stack. */
  readonly gpuBoards: ReadonlySet<string>;
  readonly models: ReadonlySet<string>;
  readonly stacks: ReadonlyArray<{ readonly name: string; readonly software: readonly string[]; readonly versions: readonly string[]; readonly boards?: readonly string[] | undefined }>;
}

/** The parts of a case a row's group decides. */
type Method = Pick<ValidationCase, 'workload' | 'figure' | 'idleTailSeconds' | 'assumptions'>;

/** Rows served at most: trtllm-bench's 30,000 identical requests reach their steady state long before (see `throughputRun`). */
export const MAX_SIMULATED_REQUESTS = 1024;

/** Requests trtllm-bench sent per ISL/OSL (TensorRT-LLM perf-overview, v0.14 and v0.17; validation/SOURCES.md §5). */
const TRTLLM_BENCH_REQUESTS: Readonly<Record<string, number>> = {
  '128/128': 30000,
  '128/2048': 3000,
  '128/4096': 1500,
  '2048/128': 3000,
  '2048/2048': 1500,
  '5000/500': 1500,
  '1000/1000': 3000,
  '500/2000': 3000,
  '20000/2000': 1000,
};

/** NVML's probe after Argonne's timed call: 1 s asleep, the same generate again, 1 s asleep (power_utils.py). */
const ARGONNE_IDLE_TAIL_SECONDS = 1;

/** gpt-fast's benchmark generates 200 new tokens (README: `--max_new_tokens 200`) — an assumption where the table does not restate it. */
const GPT_FAST_NEW_TOKENS = 200;

/** Every row, planned or skipped with its reason. */
export function planValidation(rows: readonly Measurement[], available: Available, split: (row: Measurement) => { fit: boolean; rule: string }): { cases: ValidationCase[]; skipped: SkippedRow[] } {
  const cases: ValidationCase[] = [];
  const skipped: SkippedRow[] = [];
  const firstOf = new Map<string, Measurement>();
  for (const row of rows) {
    const first = firstOf.get(sameRunKey(row));
    if (first !== undefined) {
      skipped.push({ row, reason: `the same measurement as ${first.id} (${first.file.split(/[\\/]/).pop()}, line ${first.line}): counted once` });
      continue;
    }
    firstOf.set(sameRunKey(row), row);
    const planned = planRow(row, available);
    if (typeof planned === 'string') skipped.push({ row, reason: planned });
    else {
      const { fit, rule } = split(row);
      cases.push({ ...planned, fit, splitRule: rule });
    }
  }
  return { cases, skipped };
}

/**
 * Two files may quote one published cell (validation/measurements.csv and
 * validation/multicard-moe.csv were collected apart): the same cards,
 * batch, lengths, metric and value are one measurement, whatever the
 * board's or model's spelling.
 */
function sameRunKey(row: Measurement): string {
  return JSON.stringify([row.cards, row.batch, row.input_len, row.output_len, row.metric, row.value]);
}

function planRow(row: Measurement, available: Available): Omit<ValidationCase, 'fit' | 'splitRule'> | string {
  if (row.group === 'flightllm-sim') return "simulated by FlightLLM's profiler, not measured";
  if (row.cards === undefined) return 'the number of cards is not stated';
  const layout = layoutOf(row);
  if (typeof layout === 'string') return layout;
  if (!available.boards.has(row.hardware)) return `no board file for ${row.hardware} (hardware/${row.hardware}.yaml)`;
  if (!available.models.has(row.model)) return `no model file for ${row.model} (ir/${row.model}.yaml)`;
  const gpu = available.gpuBoards.has(row.hardware);
  const stack = gpu ? stackFor(row, available) : undefined;
  if (gpu && stack === undefined) return `no software stack describes ${row.software} ${row.software_version} (hardware/stacks/)`;
  const precision = precisionOf(row, gpu);
  if ('skip' in precision) return precision.skip;
  const method = methodOf(row);
  if (typeof method === 'string') return method;
  const assumptions = layout.assumed ? [`${layout.cards} cards in one tensor-parallel group (the source states no layout)`, ...method.assumptions] : method.assumptions;
  return { row, board: row.hardware, stack, model: row.model, precision: precision.precision, layout: layout.layout, ...method, assumptions };
}

/** Cards that no shipped interconnect joins into one group (several nodes, expert- or data-parallel layouts) are skipped; see `CaseLayout`. */
function layoutOf(row: Measurement): { layout: CaseLayout; cards: number; assumed: boolean } | string {
  const cards = row.cards!;
  const stated = (name: string) => {
    const match = new RegExp(`\\b${name}\\s*=\\s*(\\d+)`).exec(row.notes);
    return match === null ? undefined : Number(match[1]);
  };
  if (/\b(EP|DP)\s*\d+|\bEP=|expert-parallel|DP attention/i.test(row.notes)) return `runs expert- or data-parallel over ${cards} cards (the notes say so): validate simulates tensor and pipeline layouts`;
  const tensor = stated('TP') ?? stated('tp_size');
  const pipeline = stated('PP') ?? 1;
  const assumed = tensor === undefined && cards > 1;
  const tensorParallelSize = tensor ?? cards / pipeline;
  if (!Number.isInteger(tensorParallelSize) || tensorParallelSize * pipeline !== cards) return `its layout (TP ${tensor ?? '?'} × PP ${pipeline}) does not make its ${cards} cards`;
  const shardVocabulary = row.software.toLowerCase() !== 'gpt-fast';
  return { layout: { cards, tensorParallelSize, pipelineParallelSize: pipeline, shardVocabulary }, cards, assumed };
}

/** The stack whose measurements name the row's software, a prefix of its version and, where the stack names boards, the row's board. */
function stackFor(row: Measurement, available: Available): string | undefined {
  const software = row.software.toLowerCase();
  return available.stacks.find(
    (s) => s.software.some((name) => name.toLowerCase() === software) && s.versions.some((v) => row.software_version.startsWith(v)) && (s.boards === undefined || s.boards.includes(row.hardware)),
  )?.name;
}

/**
 * The precision as our presets say it. Published INT8 and INT4 rows are
 * weight-only only where their notes say so (gpt-fast: int8 per channel,
 * int4 in groups of 32 with a bf16 scale and zero each).
 */
function precisionOf(row: Measurement, gpu: boolean): { precision: CasePrecision } | { skip: string } {
  const name = row.precision.toLowerCase();
  const weightOnly = /weight-only/.test(row.notes) || /weight-only/.test(name);
  if (name === '') return gpu ? { skip: 'the precision is not stated' } : { precision: undefined };
  if (name === 'fp16' || name === 'bf16') return { precision: name.toUpperCase() };
  // TensorRT-LLM's FP8 rows quantise the KV cache too ("FP8 weights and FP8 KV cache").
  if (name === 'fp8') return { precision: /FP8 KV cache/i.test(row.notes) ? { preset: 'FP8', kvCache: 'fp8' } : 'FP8' };
  if ((name === 'int8' || name === 'int8-weight-only') && weightOnly) return { precision: 'W8A16' };
  const group = /group size (\d+)|-g(\d+)/.exec(`${row.notes} ${name}`);
  if ((name === 'int4' || name.startsWith('int4-weight-only')) && weightOnly && group !== null) return { precision: { preset: 'W4A16', groupSize: Number(group[1] ?? group[2]), groupBits: 32 } };
  return { skip: `precision ${row.precision} is not one the simulator runs as published (${weightOnly ? 'group size not stated' : 'quantisation scheme not stated'})` };
}

/**
 * The benchmark a group's rows come from. validation/multicard-moe.csv
 * names its groups by table (`trtllm-v0.14-mixtral-8x7b`,
 * `gptfast-tp-a100`…); their tables were measured as the single-card
 * groups' were.
 */
function benchmarkOf(group: string): string {
  if (group.startsWith('gptfast-')) return 'gpt-fast';
  if (/^trtllm-v0\.(14|17)-/.test(group)) return 'trtllm-bench';
  if (group.startsWith('trtllm-online-')) return 'trtllm-serve-0.14';
  if (group === 'trtllm-v0.9-static') return 'trtllm-0.9';
  return group;
}

/** How the row's benchmark ran, by group (validation/SOURCES.md). */
function methodOf(row: Measurement): Method | string {
  switch (benchmarkOf(row.group)) {
    case 'argonne':
      return argonneRun(row);
    case 'flightllm':
      return flightllmRun(row);
    case 'gpt-fast':
      return gptFastRun(row);
    case 'trtllm-0.9':
      return staticRun(row, row.metric === 'ttft_ms' ? 'e2e_ms' : 'output_tokens_per_s_per_gpu', []);
    case 'trtllm-0.14':
    case 'trtllm-0.17':
    case 'trtllm-bench':
      return throughputRun(row);
    case 'trtllm-serve-0.14':
      return servingRun(row);
    case 'k100-ai':
      return concurrencyRun(row);
    default:
      return `no simulation is defined for the ${row.group} group's method`;
  }
}

const lengths = (row: Measurement): { inputLen: number; outputLen: number } | string =>
  row.input_len === undefined || row.output_len === undefined ? 'the input or output length is not stated' : { inputLen: row.input_len, outputLen: row.output_len };

/** A fixed batch sent at once and run to completion: TensorRT-LLM's session benchmark, a static engine. */
function staticRun(row: Measurement, figure: Figure, assumptions: string[]): Method | string {
  const l = lengths(row);
  if (typeof l === 'string') return l;
  if (row.batch === undefined) return 'the batch size is not stated';
  return { workload: { ...l, requests: row.batch, requestRate: Infinity, concurrency: undefined, policy: 'static', maxNumSeqs: row.batch }, figure, idleTailSeconds: 0, assumptions };
}

/** The whole batch in one call (vLLM's LLM.generate, TensorRT-LLM's ModelRunner.generate): latency, and NVML power over a second run. */
function argonneRun(row: Measurement): Method | string {
  if (row.metric === 'total_throughput_tokens_per_s') return "the same run as the row's e2e latency (batch × (in + out) / latency): counted once";
  if (row.metric === 'power_w' && /CAUTION/.test(row.notes)) return "NVML's reading may sum every GPU of the node (CAUTION in the row's notes)";
  const figure: Figure | undefined = row.metric === 'e2e_latency_s' ? 'e2e_s' : row.metric === 'power_w' ? 'power_w' : undefined;
  if (figure === undefined) return `metric ${row.metric} is not simulated for this group`;
  const l = lengths(row);
  if (typeof l === 'string') return l;
  if (row.batch === undefined) return 'the batch size is not stated';
  // TensorRT-LLM's ModelRunnerCpp serves the batch by in-flight batching, at most `batch` sequences a step.
  const trt = row.software.toLowerCase() === 'tensorrt-llm';
  const workload: CaseWorkload = { ...l, requests: row.batch, requestRate: Infinity, concurrency: undefined, policy: 'vllm', maxNumSeqs: trt ? row.batch : undefined };
  return { workload, figure, idleTailSeconds: figure === 'power_w' ? ARGONNE_IDLE_TAIL_SECONDS : 0, assumptions: [] };
}

/**
 * FlightLLM's six batch-1 cases: a prefill, then one decode step per
 * generated token (profile/README.md); "Total time" is both, the prefill is
 * the TTFT, "Avg throughput" is generated tokens over decode time. The U280's
 * 55 token/s states no lengths: FlightLLM's first case (128 + 512) is assumed.
 */
function flightllmRun(row: Measurement): Method | string {
  const assumptions = row.input_len === undefined ? ['lengths not stated: FlightLLM\'s first case, 128-token prompt and 512 generated'] : [];
  const inputLen = row.input_len ?? 128;
  const generated = row.output_len ?? 512;
  const figure: Figure | undefined = row.metric === 'e2e_latency_s' ? 'e2e_s' : row.metric === 'ttft_ms' ? 'ttft_ms' : row.metric === 'decode_tokens_per_s' ? 'decode_tokens_per_s' : undefined;
  if (figure === undefined) return `metric ${row.metric} is not simulated for this group`;
  // The prefill's token is not one of the generated: a request of generated + 1 outputs has `generated` decode steps.
  return { workload: { requests: 1, inputLen, outputLen: generated + 1, requestRate: Infinity, concurrency: undefined, policy: 'sequential', maxNumSeqs: undefined }, figure, idleTailSeconds: 0, assumptions };
}

/** gpt-fast's generate.py: one 5-token prompt, then new tokens one at a time; tokens/s over the whole call. */
function gptFastRun(row: Measurement): Method | string {
  if (row.metric !== 'decode_tokens_per_s') return `metric ${row.metric} is not simulated for this group`;
  if (row.batch !== undefined && row.batch !== 1) return 'gpt-fast runs batch 1';
  const inputLen = row.input_len ?? 5;
  const assumptions = row.output_len === undefined ? [`${GPT_FAST_NEW_TOKENS} new tokens (gpt-fast's benchmark setting; the table does not restate it)`] : [];
  return { workload: { requests: 1, inputLen, outputLen: row.output_len ?? GPT_FAST_NEW_TOKENS, requestRate: Infinity, concurrency: undefined, policy: 'sequential', maxNumSeqs: undefined }, figure: 'tokens_per_s', idleTailSeconds: 0, assumptions };
}

/**
 * trtllm-bench throughput: every request queued at once, served by
 * in-flight batching, output tokens per second. Thousands of identical
 * requests run as waves of the same steps; a cut to MAX_SIMULATED_REQUESTS
 * keeps the steady state and shortens the tail.
 */
function throughputRun(row: Measurement): Method | string {
  if (row.metric !== 'throughput_tokens_per_s') return `metric ${row.metric} is not simulated for this group`;
  const l = lengths(row);
  if (typeof l === 'string') return l;
  const sent = TRTLLM_BENCH_REQUESTS[`${l.inputLen}/${l.outputLen}`];
  if (sent === undefined) return `trtllm-bench's request count for ${l.inputLen}/${l.outputLen} is not published`;
  const requests = Math.min(sent, MAX_SIMULATED_REQUESTS);
  const assumptions = requests < sent ? [`${requests} of the ${sent} requests simulated (the same steady state)`] : [];
  return { workload: { ...l, requests, requestRate: Infinity, concurrency: undefined, policy: 'vllm', maxNumSeqs: undefined }, figure: 'output_tokens_per_s', idleTailSeconds: 0, assumptions };
}

/** TensorRT-LLM's online serving table: 500 requests at a rate (QPS in the cell; arrivals assumed Poisson), mean TTFT and ITL, output throughput. */
function servingRun(row: Measurement): Method | string {
  const l = lengths(row);
  if (typeof l === 'string') return l;
  const qps = /QPS (\d+(?:\.\d+)?|INF)/i.exec(row.cell);
  if (qps === null) return 'the request rate is not stated';
  const requestRate = qps[1]!.toUpperCase() === 'INF' ? Infinity : Number(qps[1]);
  const figure: Figure | undefined = row.metric === 'ttft_ms' ? 'mean_ttft_ms' : row.metric === 'tpot_ms' ? 'mean_itl_ms' : row.metric === 'throughput_tokens_per_s' ? 'output_tokens_per_s' : undefined;
  if (figure === undefined) return `metric ${row.metric} is not simulated for this group`;
  const assumptions = requestRate === Infinity ? [] : ['Poisson arrivals (the arrival process is not stated)'];
  return { workload: { ...l, requests: 500, requestRate, concurrency: undefined, policy: 'vllm', maxNumSeqs: undefined }, figure, idleTailSeconds: 0, assumptions };
}

/** `vllm bench serve` at a max concurrency (K100-AI report): num_prompts from the row's notes, output throughput and P50 TPOT. */
function concurrencyRun(row: Measurement): Method | string {
  const l = lengths(row);
  if (typeof l === 'string') return l;
  if (row.concurrency === undefined) return 'the concurrency is not stated';
  const prompts = /num_prompts (\d+)/.exec(row.notes);
  const figure: Figure | undefined = row.metric === 'throughput_tokens_per_s' ? 'output_tokens_per_s' : row.metric === 'tpot_ms' ? 'median_tpot_ms' : undefined;
  if (figure === undefined) return `metric ${row.metric} is not simulated for this group`;
  const requests = prompts === null ? 4 * row.concurrency : Number(prompts[1]);
  const assumptions = prompts === null ? [`${requests} requests (four per client; num_prompts not stated)`] : [];
  return { workload: { ...l, requests, requestRate: Infinity, concurrency: row.concurrency, policy: 'vllm', maxNumSeqs: undefined }, figure, idleTailSeconds: 0, assumptions };
}
