import { UserError } from '../errors.js';
import { compileModel, generatedMasks, writeIr, type Stage } from '../compiler/index.js';
import type { Hardware } from '../backends/index.js';
import { defaultMaskDirectory, loadIr, maskDirectory, type Ir, type MaskLookup } from '../ir/index.js';
import type { BatchShape } from '../batch.js';
import { createStepCostModel, measuredEnergy, measureStep, type MeasuredStep } from '../cost/index.js';
import type { Model } from '../model/index.js';
import type { Bound } from '../bound/index.js';
import { backendFor } from '../backends/index.js';
import { profileToCsv } from './csv.js';
import type { Profile, TraceCallback } from '../backends/index.js';
import { ContentCache, type CacheRejection } from '../util/cache.js';
import { compileTarget } from '../backends/index.js';

/*
 * Simulation jobs are plain, copyable data: they cross into worker threads by
 * structured clone. A job either reads an IR file or compiles the IR from a
 * model description in memory (no YAML round trip).
 */

/** Simulate a FlightLLM-format IR file. */
export interface IrFileJob {
  readonly kind: 'ir-file';
  readonly irPath: string;
  readonly hardware: Hardware;
  /** Mask directory; default `attention_mask/` beside the IR file. */
  readonly masksDir?: string | undefined;
  /** Directory of the parsed-IR cache; none when undefined. */
  readonly cacheDir?: string | undefined;
}

/** Compile a model at one stage and length, then simulate it. */
export interface CompileJob {
  readonly kind: 'compile';
  readonly model: Model;
  readonly hardware: Hardware;
  readonly stage: Stage;
  /** Already padded as wanted: compiled exactly as given. */
  readonly tokens: number;
  /** Masks to use; generated from the model when undefined. */
  readonly masksDir?: string | undefined;
  /** Also write the compiled IR here, as YAML. */
  readonly irOutput?: string | undefined;
}

/** Cost one step over a batch of sequences exactly: each projection on its faster engine, compiled and simulated whole. */
export interface BatchJob {
  readonly kind: 'batch';
  readonly model: Model;
  readonly hardware: Hardware;
  readonly batch: BatchShape;
  /** Shown for the job: `<model>_<stage>_token_<N>_batch_<B>`. */
  readonly label: string;
  /** Masks to use; generated from the model when undefined. */
  readonly masksDir?: string | undefined;
}

export type SimulationJob = IrFileJob | CompileJob | BatchJob;

/** A job's outcome as data: errors cannot keep their class across threads. Cache entries refused on the way are listed, for the caller to report. */
export type SimulationOutcome = (
  | {
      readonly ok: true;
      readonly label: string;
      readonly profile: Profile;
      readonly bound: Bound;
      /** Energy of the step, J; undefined where the board describes no energy. */
      readonly joules: number | undefined;
      readonly csv: string;
      readonly elapsedMs: number;
    }
  | { readonly ok: false; readonly label: string; readonly userError: boolean; readonly message: string }
) & { readonly cacheRejections?: readonly CacheRejection[] };

interface Prepared {
  readonly ir: Ir;
  /** Undefined where the hardware runs attention densely (no masks needed). */
  readonly masks: MaskLookup | undefined;
  readonly file?: string;
}

const PREPARE: { [K in Exclude<SimulationJob['kind'], 'batch'>]: (job: Extract<SimulationJob, { kind: K }>) => Prepared } = {
  'ir-file': (job) => {
    const cache = job.cacheDir === undefined ? undefined : new ContentCache(job.cacheDir, { onRejected: (rejection) => rejections.push(rejection) });
    const ir = loadIr(job.irPath, cache === undefined ? {} : { cache });
    const masks = usesMasks(job.hardware) ? maskDirectory(job.masksDir ?? defaultMaskDirectory(job.irPath)) : undefined;
    return { ir, masks, file: job.irPath };
  },
  compile: (job) => {
    const { ir } = compileModel(job.model, { stage: job.stage, tokens: job.tokens, target: compileTarget(job.hardware), pad: false });
    if (job.irOutput !== undefined) writeIr(job.irOutput, ir);
    if (!usesMasks(job.hardware)) return { ir, masks: undefined };
    return { ir, masks: job.masksDir === undefined ? cachedGeneratedMasks(job.model, job.hardware) : maskDirectory(job.masksDir) };
  },
};

/** Cache entries the job running in this thread refused; runSimulationJob hands them over with its outcome. */
const rejections: CacheRejection[] = [];

function usesMasks(hw: Hardware): boolean {
  return backendFor(hw).maskGeometry(hw) !== undefined;
}

/** Generated masks are deterministic: a worker makes each model's masks once. */
const generated = new Map<string, MaskLookup>();
function cachedGeneratedMasks(model: Model, hw: Hardware): MaskLookup {
  const key = JSON.stringify([model, backendFor(hw).maskGeometry(hw)]);
  let lookup = generated.get(key);
  if (lookup === undefined) {
    lookup = generatedMasks(model, compileTarget(hw));
    generated.set(key, lookup);
  }
  return lookup;
}

export function jobLabel(job: SimulationJob): string {
  if (job.kind === 'batch') return job.label;
  return job.kind === 'ir-file' ? job.irPath : `${job.model.name}_${job.stage}_token_${job.tokens}`;
}

/**
 * Prepares, simulates and formats one job. Never throws. In this thread a
 * trace hook may watch every instruction (hooks cannot cross into workers).
 */
export function runSimulationJob(job: SimulationJob, hooks: { trace?: TraceCallback } = {}): SimulationOutcome {
  const outcome = simulationOutcome(job, hooks);
  const refused = rejections.splice(0);
  return refused.length === 0 ? outcome : { ...outcome, cacheRejections: refused };
}

function simulationOutcome(job: SimulationJob, hooks: { trace?: TraceCallback }): SimulationOutcome {
  const started = performance.now();
  const label = jobLabel(job);
  try {
    const measured = job.kind === 'batch' ? costBatch(job) : simulateJob(job, label, hooks);
    const { profile, bound } = measured;
    const joules = measuredEnergy(measured, job.hardware)?.joules;
    return { ok: true, label, profile, bound, joules, csv: profileToCsv(profile), elapsedMs: performance.now() - started };
  } catch (error) {
    if (error instanceof UserError) return { ok: false, label, userError: true, message: error.message };
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { ok: false, label, userError: false, message: `internal error while simulating ${label}: ${message}` };
  }
}

function simulateJob(job: IrFileJob | CompileJob, label: string, hooks: { trace?: TraceCallback }): MeasuredStep {
  const prepared = (PREPARE[job.kind] as (job: SimulationJob) => Prepared)(job);
  return measureStep(prepared.ir, job.hardware, { masks: prepared.masks, file: prepared.file, trace: hooks.trace, label });
}

/** A batched step's exact cost, measured (and checked against its bound) by the step cost model. */
function costBatch(job: BatchJob): MeasuredStep {
  const masks = !usesMasks(job.hardware) ? undefined : job.masksDir === undefined ? cachedGeneratedMasks(job.model, job.hardware) : maskDirectory(job.masksDir);
  const costs = createStepCostModel({ hardware: job.hardware, model: job.model, masks: masks === undefined ? undefined : { lookup: masks, digest: job.masksDir ?? 'generated' } });
  return costs.exact(job.batch).measured;
}
