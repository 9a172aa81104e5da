import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { backendFor, compileTarget } from '../backends/index.js';
import type { Hardware } from '../backends/index.js';
import type { Model } from '../model/index.js';
import { tokenLimit, writeMasks, type TokenLimit } from '../compiler/index.js';
import { contentHash } from '../util/hash.js';
import { TOOL_VERSION } from '../version.js';
import { decodeShape, prefillShape } from '../batch.js';
import { caseFigures, caseSum, caseLabel, lengthsNeeded, type Case, type CaseFigures, type Padding, type Stage } from './cases.js';
import { gpuFigures, type GpuProfile } from './gpu.js';
import type { IrFileJob, SimulationJob } from './jobs.js';
import { runSimulationJobs } from './pool.js';
import type { ResultStore } from './results.js';
import { energyReport, tokensPerDollar, type EnergyReport } from '../energy/index.js';

/*
 * Profiling cases: work out which prefill and decode lengths the cases
 * need, simulate each once (in parallel, reusing earlier results whose
 * inputs are unchanged), then add up each case.
 */

/** Where each length's IR comes from: compiled from a model, or FlightLLM-format files. */
export type ProfileSource =
  | {
      readonly kind: 'model';
      readonly model: Model;
      /** Masks to use; generated from the model when undefined. */
      readonly masksDir?: string | undefined;
    }
  | {
      readonly kind: 'ir-directory';
      /** Directory of IR files named `<model>_<stage>_token_<n>.yaml`. */
      readonly directory: string;
      readonly modelName: string;
      /** Attention masks; default `attention_mask/` in the directory. */
      readonly masksDir?: string | undefined;
    };

export interface ProfileOptions {
  readonly hardware: Hardware;
  readonly cases: readonly Case[];
  readonly source: ProfileSource;
  /** Simulate every token count as it is instead of padding like FlightLLM. */
  readonly exact?: boolean;
  readonly gpus?: readonly GpuProfile[];
  /** Where per-length results are kept and reused (and their CSVs written); nothing is kept when undefined. */
  readonly results?: ResultStore | undefined;
  /** Directory to write each simulated length's IR (YAML) and the generated masks into. */
  readonly irOutput?: string | undefined;
  readonly threads?: number | undefined;
  /** Reports simulation progress: lengths done, lengths to simulate. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
}

/** Energy of a case on the simulated board. */
export interface CaseEnergy extends EnergyReport {
  /** Joules per request (the case's batch of requests share them). */
  readonly joulesPerRequest: number;
  /** Generated tokens an hour of the board buys per dollar, at the case's throughput; undefined without a price. */
  readonly tokensPerDollar: number | undefined;
}

export interface CaseResult {
  readonly case: Case;
  readonly device: CaseFigures;
  /** Undefined where the board describes no energy. */
  readonly energy: CaseEnergy | undefined;
  /** The physical bound of the same case: no schedule on this hardware is faster. */
  readonly bound: CaseFigures;
  readonly gpu: Readonly<Record<string, CaseFigures | undefined>>;
}

export interface ProfileResult {
  readonly cases: readonly CaseResult[];
  /** Simulated latency of every length used at batch 1, ms. */
  readonly latencies: Readonly<Record<Stage, Readonly<Record<number, number>>>>;
  /** Physical bound of every length used at batch 1, ms. */
  readonly bounds: Readonly<Record<Stage, Readonly<Record<number, number>>>>;
  /** The same for every batch size used (batch 1 included), by batch size. */
  readonly byBatch: Readonly<Record<number, { readonly latencies: Readonly<Record<Stage, Readonly<Record<number, number>>>>; readonly bounds: Readonly<Record<Stage, Readonly<Record<number, number>>>> }>>;
  readonly simulated: number;
  readonly reused: number;
}

/** Bump when what is cached per length changes. */
const RESULT_REVISION = 4;

export async function profileCases(options: ProfileOptions): Promise<ProfileResult> {
  const { hardware, cases } = options;
  const target = compileTarget(hardware);
  checkCases(cases, { limit: options.source.kind === 'model' ? tokenLimit(options.source.model, compileTarget(hardware)) : { tokens: target.maxTokens, owner: `${hardware.name}'s limit of ${target.maxTokens} tokens (${target.maxTokensField})` }, source: options.source });
  const padding: Padding = options.exact === true ? { prefill: 1, decode: 1 } : target.padTokens;
  const work = lengthWork(options, padding);
  if (options.irOutput !== undefined && options.source.kind === 'model' && options.source.masksDir === undefined && backendFor(hardware).maskGeometry(hardware) !== undefined) {
    writeMasks(join(options.irOutput, 'attention_mask'), options.source.model, compileTarget(hardware));
  }
  const figures = new StepFigures();
  const todo = work.filter((item) => {
    const stored = options.results?.lookup(item.name, item.key);
    if (stored !== undefined) figures.set(item, stored);
    return stored === undefined;
  });
  const outcomes = await runSimulationJobs(
    todo.map((item) => item.job),
    { threads: options.threads, onDone: (_, done, total) => options.onProgress?.(done, total) },
  );
  outcomes.forEach((outcome, index) => {
    const item = todo[index]!;
    if (!outcome.ok) throw outcome.userError ? new UserError({ what: outcome.message }) : new Error(outcome.message);
    const result = { totalMs: outcome.profile.totalMs, boundMs: outcome.bound.boundMs, joules: outcome.joules };
    figures.set(item, result);
    options.results?.store(item.name, item.key, { csv: outcome.csv, ...result });
  });
  const results = cases.map((c) => ({
    case: c,
    device: caseFigures(c, (stage, tokens) => figures.latencies(c.batch)[stage][tokens]!, padding),
    energy: caseEnergy(c, figures, { padding, hardware }),
    bound: caseFigures(c, (stage, tokens) => figures.bounds(c.batch)[stage][tokens]!, padding),
    gpu: Object.fromEntries((options.gpus ?? []).map((gpu) => [gpu.label, gpuFigures(gpu, c)])),
  }));
  return { cases: results, latencies: figures.latencies(1), bounds: figures.bounds(1), byBatch: figures.all(), simulated: todo.length, reused: work.length - todo.length };
}

/** A case's energy from its steps' energies; undefined where a step has none. */
function caseEnergy(c: Case, figures: StepFigures, run: { padding: Padding; hardware: Hardware }): CaseEnergy | undefined {
  const joules = figures.joules(c.batch);
  const latencies = figures.latencies(c.batch);
  let missing = false;
  const energy = caseSum(c, (stage, tokens) => joules[stage][tokens] ?? ((missing = true), 0), run.padding);
  if (missing) return undefined;
  const time = caseSum(c, (stage, tokens) => latencies[stage][tokens]!, run.padding);
  const total = energy.prefill + energy.decode;
  const tokens = c.generated * c.batch;
  const report = energyReport(total, (time.prefill + time.decode) / 1000, tokens);
  return { ...report, joulesPerRequest: total / c.batch, tokensPerDollar: tokensPerDollar(run.hardware, tokens / ((time.prefill + time.decode) / 1000)) };
}

/** Latency, bound and energy of every step, by batch size, stage and length. */
class StepFigures {
  private readonly byBatch: Record<number, { latencies: Record<Stage, Record<number, number>>; bounds: Record<Stage, Record<number, number>>; joules: Record<Stage, Record<number, number>> }> = {};

  set(item: { batch: number; stage: Stage; tokens: number }, result: { totalMs: number; boundMs: number; joules?: number | undefined }): void {
    const entry = (this.byBatch[item.batch] ??= { latencies: { prefill: {}, decode: {} }, bounds: { prefill: {}, decode: {} }, joules: { prefill: {}, decode: {} } });
    entry.latencies[item.stage][item.tokens] = result.totalMs;
    entry.bounds[item.stage][item.tokens] = result.boundMs;
    if (result.joules !== undefined) entry.joules[item.stage][item.tokens] = result.joules;
  }

  joules(batch: number): Record<Stage, Record<number, number>> {
    return this.byBatch[batch]?.joules ?? { prefill: {}, decode: {} };
  }

  latencies(batch: number): Record<Stage, Record<number, number>> {
    return this.byBatch[batch]?.latencies ?? { prefill: {}, decode: {} };
  }

  bounds(batch: number): Record<Stage, Record<number, number>> {
    return this.byBatch[batch]?.bounds ?? { prefill: {}, decode: {} };
  }

  all(): ProfileResult['byBatch'] {
    return Object.fromEntries(Object.entries(this.byBatch).map(([batch, entry]) => [batch, { latencies: entry.latencies, bounds: entry.bounds }]));
  }
}

/**
 * Every step the cases need, each with its job and cache key: at batch 1 one
 * of FlightLLM's stages per length (from the source), at batch B the same
 * lengths as a step of B identical sequences (from a model).
 */
function lengthWork(options: ProfileOptions, padding: Padding): LengthWork[] {
  const batches = [...new Set(options.cases.map((c) => c.batch))].sort((a, b) => a - b);
  return batches.flatMap((batch) => {
    const needed = lengthsNeeded(options.cases.filter((c) => c.batch === batch), padding);
    const lengths = (['prefill', 'decode'] as const).flatMap((stage) => needed[stage].map((tokens) => ({ stage, tokens })));
    if (batch > 1) return batchWork(options.source as Extract<ProfileSource, { kind: 'model' }>, options.hardware, { batch, lengths });
    return (SOURCES[options.source.kind] as (source: ProfileSource, hw: Hardware, lengths: Lengths) => LengthWork[])(options.source, options.hardware, lengths).map((item) =>
      options.irOutput !== undefined && item.job.kind === 'compile' ? { ...item, job: { ...item.job, irOutput: join(options.irOutput, `${item.name}.yaml`) } } : item,
    );
  });
}

/** Steps of `batch` identical sequences at each length: a prompt of N, or a decode bringing each sequence to N tokens. */
function batchWork(source: Extract<ProfileSource, { kind: 'model' }>, hardware: Hardware, b: { batch: number; lengths: Lengths }): LengthWork[] {
  const context = contentHash(TOOL_VERSION, String(RESULT_REVISION), JSON.stringify(source.model), JSON.stringify(hardware), source.masksDir === undefined ? 'generated masks' : maskDigest(source.masksDir));
  return b.lengths.map(({ stage, tokens }) => {
    const one = stage === 'prefill' ? prefillShape(tokens) : decodeShape(tokens);
    const shape = { sequences: Array.from({ length: b.batch }, () => one.sequences[0]!) };
    const name = `${source.model.name}_${stage}_token_${tokens}_batch_${b.batch}`;
    return { batch: b.batch, stage, tokens, name, job: { kind: 'batch', model: source.model, hardware, batch: shape, label: name, masksDir: source.masksDir }, key: contentHash(context, JSON.stringify(shape)) };
  });
}

interface LengthWork {
  readonly batch: number;
  readonly stage: Stage;
  readonly tokens: number;
  /** FlightLLM's name for the length: `<model>_<stage>_token_<N>`. */
  readonly name: string;
  readonly job: SimulationJob;
  /** Content hash of everything the length's latency depends on. */
  readonly key: string;
}

type Lengths = ReadonlyArray<{ stage: Stage; tokens: number }>;

/** The simulation job of one stage and length from a source. */
export function jobFor(source: ProfileSource, hardware: Hardware, stage: Stage, tokens: number): SimulationJob {
  if (source.kind === 'model') return { kind: 'compile', model: source.model, hardware, stage, tokens, masksDir: source.masksDir };
  return { kind: 'ir-file', irPath: join(source.directory, `${source.modelName}_${stage}_token_${tokens}.yaml`), hardware, masksDir: source.masksDir ?? join(source.directory, 'attention_mask') };
}

/** How each kind of source turns lengths into jobs and cache keys. */
const SOURCES: { [K in ProfileSource['kind']]: (source: Extract<ProfileSource, { kind: K }>, hw: Hardware, lengths: Lengths) => LengthWork[] } = {
  model: (source, hardware, lengths) => {
    const context = contentHash(TOOL_VERSION, String(RESULT_REVISION), JSON.stringify(source.model), JSON.stringify(hardware), source.masksDir === undefined ? 'generated masks' : maskDigest(source.masksDir));
    return lengths.map(({ stage, tokens }) => ({
      batch: 1,
      stage,
      tokens,
      name: `${source.model.name}_${stage}_token_${tokens}`,
      job: jobFor(source, hardware, stage, tokens),
      key: contentHash(context, stage, String(tokens)),
    }));
  },
  'ir-directory': (source, hardware, lengths) => {
    const files = lengths.map(({ stage, tokens }) => ({ stage, tokens, job: jobFor(source, hardware, stage, tokens) as IrFileJob }));
    const missing = files.filter((file) => !existsSync(file.job.irPath));
    if (missing.length > 0) {
      throw new UserError({
        what: `no IR for ${missing.length} of the ${files.length} token counts the cases need`,
        detail: `missing ${missing.slice(0, 4).map((file) => file.job.irPath).join(', ')}${missing.length > 4 ? ', …' : ''}.`,
      });
    }
    const context = contentHash(TOOL_VERSION, String(RESULT_REVISION), JSON.stringify(hardware), maskDigest(source.masksDir ?? join(source.directory, 'attention_mask')));
    return files.map((file) => ({
      batch: 1,
      stage: file.stage,
      tokens: file.tokens,
      name: `${source.modelName}_${file.stage}_token_${file.tokens}`,
      job: file.job,
      key: contentHash(context, readFileSync(file.job.irPath)),
    }));
  },
};

/** Content hash of every mask in a directory: results depend on the masks, not on their names. */
function maskDigest(directory: string): string {
  if (!existsSync(directory)) return 'no masks';
  const files = readdirSync(directory).filter((file) => file.endsWith('.npy')).sort();
  return contentHash(...files.flatMap((file) => [file, readFileSync(join(directory, file))]));
}

function checkCases(cases: readonly Case[], limits: { limit: TokenLimit; source: ProfileSource }): void {
  for (const c of cases) {
    if (c.batch > 1 && limits.source.kind !== 'model') throw new UserError({ what: `case ${caseLabel(c)}: a batch of ${c.batch} is compiled from a model (--model); FlightLLM's IR files hold one sequence` });
    if (c.prompt + c.generated > limits.limit.tokens) throw new UserError({ what: `case ${caseLabel(c)}: prompt + generated = ${c.prompt + c.generated} tokens exceeds ${limits.limit.owner}` });
  }
}
