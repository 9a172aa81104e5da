import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { backendFor, compileTarget } from '../backends/index.js';
import type { Hardware } from '../hardware/index.js';
import type { Model } from '../model/index.js';
import { maxTokensOf, writeMasks } from '../compiler/index.js';
import { contentHash } from '../util/hash.js';
import { TOOL_VERSION } from '../version.js';
import { caseFigures, caseLabel, lengthsNeeded, type Case, type CaseFigures, type Padding, type Stage } from './cases.js';
import { gpuFigures, type GpuProfile } from './gpu.js';
import type { IrFileJob, SimulationJob } from './jobs.js';
import { runSimulationJobs } from './pool.js';
import type { ResultStore } from './results.js';

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
  /** Where per-length CSVs are kept and reused; nothing is kept when undefined. */
  readonly results?: ResultStore | undefined;
  /** Directory to write each simulated length's IR (YAML) and the generated masks into. */
  readonly irOutput?: string | undefined;
  readonly threads?: number | undefined;
  /** Reports simulation progress: lengths done, lengths to simulate. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface CaseResult {
  readonly case: Case;
  readonly fpga: CaseFigures;
  /** The physical bound of the same case: no schedule on this hardware is faster. */
  readonly bound: CaseFigures;
  readonly gpu: Readonly<Record<string, CaseFigures | undefined>>;
}

export interface ProfileResult {
  readonly cases: readonly CaseResult[];
  /** Simulated latency of every length used, ms. */
  readonly latencies: Readonly<Record<Stage, Readonly<Record<number, number>>>>;
  /** Physical bound of every length used, ms. */
  readonly bounds: Readonly<Record<Stage, Readonly<Record<number, number>>>>;
  readonly simulated: number;
  readonly reused: number;
}

/** Bump when what is cached per length changes. */
const RESULT_REVISION = 2;

export async function profileCases(options: ProfileOptions): Promise<ProfileResult> {
  const { hardware, cases } = options;
  const target = compileTarget(hardware);
  checkCases(cases, options.source.kind === 'model' ? maxTokensOf(options.source.model, hardware) : target.maxTokens);
  const padding: Padding = options.exact === true ? { prefill: 1, decode: 1 } : target.padTokens;
  const needed = lengthsNeeded(cases, padding);
  const lengths = (['prefill', 'decode'] as const).flatMap((stage) => needed[stage].map((tokens) => ({ stage, tokens })));
  const work = (SOURCES[options.source.kind] as (source: ProfileSource, hw: Hardware, lengths: Lengths) => LengthWork[])(options.source, hardware, lengths).map((item) =>
    options.irOutput !== undefined && item.job.kind === 'compile' ? { ...item, job: { ...item.job, irOutput: join(options.irOutput, `${item.name}.yaml`) } } : item,
  );
  if (options.irOutput !== undefined && options.source.kind === 'model' && options.source.masksDir === undefined && backendFor(hardware).maskGeometry(hardware) !== undefined) {
    writeMasks(join(options.irOutput, 'attention_mask'), options.source.model, hardware);
  }
  const latencies: Record<Stage, Record<number, number>> = { prefill: {}, decode: {} };
  const bounds: Record<Stage, Record<number, number>> = { prefill: {}, decode: {} };
  const todo = work.filter((item) => {
    const stored = options.results?.lookup(item.name, item.key);
    if (stored !== undefined) {
      latencies[item.stage][item.tokens] = stored.totalMs;
      bounds[item.stage][item.tokens] = stored.boundMs;
    }
    return stored === undefined;
  });
  const outcomes = await runSimulationJobs(
    todo.map((item) => item.job),
    { threads: options.threads, onDone: (_, done, total) => options.onProgress?.(done, total) },
  );
  try {
    outcomes.forEach((outcome, index) => {
      const item = todo[index]!;
      if (!outcome.ok) throw outcome.userError ? new UserError({ what: outcome.message }) : new Error(outcome.message);
      latencies[item.stage][item.tokens] = outcome.profile.totalMs;
      bounds[item.stage][item.tokens] = outcome.bound.boundMs;
      options.results?.store(item.name, item.key, { csv: outcome.csv, totalMs: outcome.profile.totalMs, boundMs: outcome.bound.boundMs });
    });
  } finally {
    options.results?.flush();
  }
  const results = cases.map((c) => ({
    case: c,
    fpga: caseFigures(c, (stage, tokens) => latencies[stage][tokens]!, padding),
    bound: caseFigures(c, (stage, tokens) => bounds[stage][tokens]!, padding),
    gpu: Object.fromEntries((options.gpus ?? []).map((gpu) => [gpu.label, gpuFigures(gpu, c)])),
  }));
  return { cases: results, latencies, bounds, simulated: todo.length, reused: work.length - todo.length };
}

interface LengthWork {
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

function checkCases(cases: readonly Case[], maxTokens: number): void {
  for (const c of cases) {
    if (c.batch !== 1) throw new UserError({ what: `case ${caseLabel(c)}: the simulator models batch-1 inference, got batch ${c.batch}` });
    if (c.prompt + c.generated > maxTokens) throw new UserError({ what: `case ${caseLabel(c)}: prompt + generated = ${c.prompt + c.generated} tokens exceeds the maximum of ${maxTokens}` });
  }
}
