import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { UserError, type Issue } from '../errors.js';
import { describeFsError } from '../util/yaml.js';
import { MAX_REQUESTS_PER_RUN, MAX_SERVING_TIME_MS } from './limits.js';
import { Draws } from './random.js';
import { uniquePrompt, type RequestSpec, type Segment } from './request.js';

/*
 * Workloads, named and parameterised as `vllm bench serve` names them:
 * - random: prompts and outputs of random length around --random-input-len
 *   and --random-output-len (± --random-range-ratio), optionally after a
 *   shared prefix of --random-prefix-len tokens;
 * - trace: a recorded trace replayed at its own times, a Vidur CSV
 *   (arrived_at, num_prefill_tokens, num_decode_tokens; seconds) or a JSONL
 *   of {input_toks, output_toks, arrival_time_ns, input_tok_ids?};
 * - multiturn: conversations that share a system prompt, each turn's prompt
 *   the whole history plus a new message, sent when the previous turn's
 *   reply is complete (what the SG2260 stack's prefix-caching test does).
 * Arrivals follow --request-rate with --burstiness (gamma-distributed gaps;
 * 1 is Poisson), as vLLM draws them: gaps scaled so that the last request
 * arrives at num-prompts / rate.
 */

export const DATASET_NAMES = ['random', 'trace', 'multiturn'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface WorkloadOptions {
  readonly datasetName: DatasetName;
  /** Requests (multiturn: turns in all); default 1000, or every request of a trace. */
  readonly numPrompts?: number | undefined;
  /** Requests per second; Infinity sends them all at once. */
  readonly requestRate?: number | undefined;
  /** Gamma shape of the gaps between requests: 1 is a Poisson process, lower is burstier. */
  readonly burstiness?: number | undefined;
  readonly seed?: number | undefined;
  readonly randomInputLen?: number | undefined;
  readonly randomOutputLen?: number | undefined;
  readonly randomRangeRatio?: number | undefined;
  readonly randomPrefixLen?: number | undefined;
  /** A trace file (--dataset-path). */
  readonly datasetPath?: string | undefined;
  readonly multiturnTurns?: number | undefined;
  /** Tokens of the system prompt every conversation shares. */
  readonly multiturnPrefixLen?: number | undefined;
  /** Tokens of each new user message, and of each reply. */
  readonly multiturnInputLen?: number | undefined;
  readonly multiturnOutputLen?: number | undefined;
}

export const WORKLOAD_DEFAULTS: { readonly [K in Exclude<keyof WorkloadOptions, 'datasetName' | 'datasetPath'>]-?: number } = {
  numPrompts: 1000,
  requestRate: Infinity,
  burstiness: 1,
  seed: 0,
  randomInputLen: 1024,
  randomOutputLen: 128,
  randomRangeRatio: 0,
  randomPrefixLen: 0,
  multiturnTurns: 4,
  multiturnPrefixLen: 1024,
  multiturnInputLen: 64,
  multiturnOutputLen: 128,
};

/** The requests of a workload, in the order they arrive (follow-ups after the request they follow). */
export function generateRequests(options: WorkloadOptions): RequestSpec[] {
  if (options.datasetName === 'trace') return traceRequests(options);
  const o = { ...WORKLOAD_DEFAULTS, ...definedOnly(options), datasetName: options.datasetName } as Resolved;
  checkOptions(o);
  return options.datasetName === 'random' ? randomRequests(o) : multiturnRequests(o);
}

type Resolved = typeof WORKLOAD_DEFAULTS & { readonly datasetName: DatasetName };

function definedOnly(options: WorkloadOptions): Partial<WorkloadOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

function checkOptions(options: Resolved): void {
  const issues: Issue[] = [];
  const positiveInt = (value: number, flag: string) => (Number.isInteger(value) && value >= 1 ? undefined : issues.push({ path: flag, message: `expected a positive integer, got ${value}` }));
  positiveInt(options.numPrompts, '--num-prompts');
  if (options.numPrompts > MAX_REQUESTS_PER_RUN) issues.push({ path: '--num-prompts', message: `${options.numPrompts} requests: at most ${MAX_REQUESTS_PER_RUN.toLocaleString('en-US')} are served in one run (MAX_REQUESTS_PER_RUN)` });
  if (!(options.requestRate > 0)) issues.push({ path: '--request-rate', message: `expected a positive rate or inf, got ${options.requestRate}` });
  if (!(options.burstiness > 0)) issues.push({ path: '--burstiness', message: `expected a positive factor, got ${options.burstiness}` });
  if (!(options.randomRangeRatio >= 0 && options.randomRangeRatio < 1)) issues.push({ path: '--random-range-ratio', message: `expected a ratio in [0, 1), got ${options.randomRangeRatio}` });
  positiveInt(options.randomInputLen, '--random-input-len');
  positiveInt(options.randomOutputLen, '--random-output-len');
  positiveInt(options.multiturnTurns, '--multiturn-turns');
  positiveInt(options.multiturnInputLen, '--multiturn-input-len');
  positiveInt(options.multiturnOutputLen, '--multiturn-output-len');
  if (!Number.isInteger(options.randomPrefixLen) || options.randomPrefixLen < 0) issues.push({ path: '--random-prefix-len', message: `expected a whole number of tokens, got ${options.randomPrefixLen}` });
  if (!Number.isInteger(options.multiturnPrefixLen) || options.multiturnPrefixLen < 0) issues.push({ path: '--multiturn-prefix-len', message: `expected a whole number of tokens, got ${options.multiturnPrefixLen}` });
  if (issues.length > 0) throw new UserError({ what: 'invalid workload', issues });
}

/** Send times, ms: gaps drawn from a gamma of shape `burstiness`, scaled so the last arrives at count / rate. */
export function arrivalTimes(count: number, rate: number, burstiness: number, draws: Draws): number[] {
  if (rate === Infinity) return new Array<number>(count).fill(0);
  const times: number[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += draws.gamma(burstiness, 1 / (rate * burstiness));
    times.push(total);
  }
  // Bursts so extreme (burstiness near 0) that every gap rounds to 0 send every request at once.
  if (!(total > 0 && Number.isFinite(total))) return new Array<number>(count).fill(0);
  const scale = count / rate / total;
  const last = (count / rate) * 1000;
  if (!(last <= MAX_SERVING_TIME_MS)) {
    throw new UserError({ what: 'invalid workload', issues: [{ path: '--request-rate', message: `${count} requests at ${rate} per second are sent over ${(last / 1000).toExponential(3)} s: a run may last at most ${(MAX_SERVING_TIME_MS / 1000).toExponential(3)} s (MAX_SERVING_TIME_MS), beyond which its clock no longer resolves a microsecond` }] });
  }
  return times.map((t) => t * scale * 1000);
}

function randomRequests(options: Resolved): RequestSpec[] {
  const draws = new Draws(options.seed);
  const range = (length: number, low = 0) => [Math.max(low, Math.floor(length * (1 - options.randomRangeRatio))), Math.ceil(length * (1 + options.randomRangeRatio))] as const;
  const [inLow, inHigh] = range(options.randomInputLen);
  const [outLow, outHigh] = range(options.randomOutputLen, 1);
  const lengths = Array.from({ length: options.numPrompts }, () => ({ input: draws.int(inLow, inHigh), output: draws.int(outLow, outHigh) }));
  const times = arrivalTimes(options.numPrompts, options.requestRate, options.burstiness, draws);
  const prefix: Segment[] = options.randomPrefixLen > 0 ? [{ content: 1, length: options.randomPrefixLen }] : [];
  return lengths.map((l, id) => ({
    id,
    arrivalMs: times[id]!,
    prompt: [...prefix, uniquePrompt(id, l.input)],
    promptTokens: options.randomPrefixLen + l.input,
    outputTokens: l.output,
  }));
}

/** Conversations of `multiturnTurns` turns; the first turns arrive at the request rate, later ones when the reply before them is done. */
function multiturnRequests(options: Resolved): RequestSpec[] {
  const draws = new Draws(options.seed);
  const turns = options.multiturnTurns;
  const conversations = Math.ceil(options.numPrompts / turns);
  const starts = arrivalTimes(conversations, options.requestRate, options.burstiness, draws);
  const system: Segment = { content: 1, length: options.multiturnPrefixLen };
  const requests: RequestSpec[] = [];
  for (let c = 0; c < conversations; c++) {
    const history: Segment[] = options.multiturnPrefixLen > 0 ? [system] : [];
    for (let t = 0; t < turns && requests.length < options.numPrompts; t++) {
      const id = requests.length;
      const message: Segment = { content: 2 + 2 * (c * turns + t), length: options.multiturnInputLen };
      const reply: Segment = { content: 3 + 2 * (c * turns + t), length: options.multiturnOutputLen };
      const prompt = [...history, message];
      requests.push({
        id,
        arrivalMs: t === 0 ? starts[c]! : 0,
        after: t === 0 ? undefined : id - 1,
        prompt,
        promptTokens: prompt.reduce((sum, s) => sum + ('ids' in s ? s.ids.length : s.length), 0),
        outputTokens: options.multiturnOutputLen,
        output: reply,
      });
      history.push(message, reply);
    }
  }
  return requests;
}

/** A recorded trace, by its extension: `.csv` (Vidur) or `.jsonl`. */
function traceRequests(options: WorkloadOptions): RequestSpec[] {
  const path = options.datasetPath;
  if (path === undefined) throw new UserError({ what: '--dataset-name trace needs --dataset-path FILE (a Vidur CSV or a JSONL trace)' });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError({ what: 'cannot read the trace', file: path, detail: describeFsError(error) });
  }
  const rows = path.endsWith('.jsonl') ? jsonlRows(text, path) : csvRows(text, path);
  // Times count from the first request, so that a trace of epoch timestamps keeps the clock's resolution (MAX_SERVING_TIME_MS).
  const startMs = rows[0]!.arrivalMs;
  const requests = rows.map((row, id): RequestSpec => ({
    id,
    arrivalMs: row.arrivalMs - startMs,
    prompt: [row.ids ?? uniquePrompt(id, row.input)],
    promptTokens: row.input,
    outputTokens: row.output,
    origin: `${path}:${row.line}`,
  }));
  const count = Math.min(options.numPrompts ?? requests.length, requests.length);
  if (count > MAX_REQUESTS_PER_RUN) throw new UserError({ what: 'trace too long', file: path, detail: `it holds ${requests.length} requests: at most ${MAX_REQUESTS_PER_RUN.toLocaleString('en-US')} are served in one run (MAX_REQUESTS_PER_RUN); take the first with --num-prompts.` });
  return requests.slice(0, count);
}

interface TraceRow {
  readonly line: number;
  readonly arrivalMs: number;
  readonly input: number;
  readonly output: number;
  readonly ids?: Segment | undefined;
}

const VIDUR_COLUMNS = ['arrived_at', 'num_prefill_tokens', 'num_decode_tokens'] as const;

function csvRows(text: string, file: string): TraceRow[] {
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, info: true }) as typeof records;
  } catch (error) {
    throw new UserError({ what: 'malformed trace CSV', file, detail: `${(error as Error).message}.` });
  }
  const header = text.split(/\r?\n/, 1)[0]!.split(',').map((c) => c.trim());
  const missing = VIDUR_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) throw new UserError({ what: 'invalid trace', file, detail: `line 1: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; a Vidur trace has ${VIDUR_COLUMNS.join(', ')} (seconds).` });
  const rows = records.map(({ record, info }) => traceRow(file, info.lines, { arrivalSeconds: record['arrived_at'], input: record['num_prefill_tokens'], output: record['num_decode_tokens'] }, VIDUR_NAMES));
  return checkOrder(rows, file);
}

const VIDUR_NAMES = { arrival: 'arrived_at', input: 'num_prefill_tokens', output: 'num_decode_tokens' };
const JSONL_NAMES = { arrival: 'arrival_time_ns', input: 'input_toks', output: 'output_toks' };

function jsonlRows(text: string, file: string): TraceRow[] {
  const rows: TraceRow[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    if (content.trim() === '') return;
    const line = index + 1;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(content) as Record<string, unknown>;
    } catch (error) {
      throw new UserError({ what: 'invalid trace', file, detail: `line ${line}: not JSON (${(error as Error).message}).` });
    }
    const arrivalNs = record['arrival_time_ns'];
    if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new UserError({ what: 'invalid trace', file, detail: `line ${line}: expected an object of ${Object.values(JSONL_NAMES).join(', ')}.` });
    // JSON has numbers: a count written as text ("64") is a mistake, not a count.
    for (const field of Object.values(JSONL_NAMES)) {
      if (typeof record[field] !== 'number') throw new UserError({ what: 'invalid trace', file, detail: `line ${line}: ${field}: expected a JSON number, got ${JSON.stringify(record[field]) ?? 'nothing'}.` });
    }
    const row = traceRow(file, line, { arrivalSeconds: (arrivalNs as number) / 1e9, input: record['input_toks'], output: record['output_toks'] }, JSONL_NAMES);
    rows.push({ ...row, ids: tokenIds(record['input_tok_ids'], row, { file, line }) });
  });
  return checkOrder(rows, file);
}

/** One request's fields, each a number of the right kind, or one error naming the file, line and field. */
function traceRow(file: string, line: number, raw: { arrivalSeconds: unknown; input: unknown; output: unknown }, names: typeof VIDUR_NAMES): TraceRow {
  const number = (value: unknown) => (typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : Number.NaN);
  const fail = (field: string, message: string): never => {
    throw new UserError({ what: 'invalid trace', file, detail: `line ${line}: ${field}: ${message}.` });
  };
  const arrival = number(raw.arrivalSeconds);
  if (!Number.isFinite(arrival) || arrival < 0) fail(names.arrival, `expected a non-negative time, got ${JSON.stringify(raw.arrivalSeconds)}`);
  const count = (value: unknown, field: string, least: number) => {
    const n = number(value);
    if (!Number.isInteger(n) || n < least) fail(field, `expected a whole number of tokens of at least ${least}, got ${JSON.stringify(value)}`);
    return n;
  };
  return { line, arrivalMs: arrival * 1000, input: count(raw.input, names.input, 1), output: count(raw.output, names.output, 1) };
}

function tokenIds(value: unknown, row: TraceRow, at: { file: string; line: number }): Segment | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((id) => Number.isInteger(id) && id >= 0) || value.length !== row.input) {
    throw new UserError({ what: 'invalid trace', file: at.file, detail: `line ${at.line}: input_tok_ids: expected ${row.input} non-negative integer token ids (input_toks), got ${Array.isArray(value) ? `${value.length} values` : JSON.stringify(value)}.` });
  }
  return { ids: Int32Array.from(value as number[]) };
}

function checkOrder(rows: TraceRow[], file: string): TraceRow[] {
  if (rows.length === 0) throw new UserError({ what: 'invalid trace', file, detail: 'it holds no request.' });
  rows.forEach((row, index) => {
    const before = rows[index - 1];
    if (before !== undefined && row.arrivalMs < before.arrivalMs) {
      throw new UserError({ what: 'invalid trace', file, detail: `line ${row.line}: arrives at ${row.arrivalMs / 1000} s, before the request on line ${before.line} (${before.arrivalMs / 1000} s); a trace lists requests in arrival order.` });
    }
  });
  return rows;
}
