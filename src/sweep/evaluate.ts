import { z } from 'zod';
import { UserError } from '../errors.js';
import { designFit, type Hardware } from '../backends/index.js';
import type { Model } from '../model/index.js';
import { parallelLayout, type ParallelOptions } from '../parallel/index.js';
import { profileCases, profileParallelCases, type Case } from '../profiler/index.js';
import { serve, SERVING_DEFAULTS } from '../serving/index.js';
import { objectiveValues, type Evaluation, type PointEvaluations } from './objectives.js';
import type { ServingSettings } from './spec.js';
import { MetricsSchema, PointEvaluationsSchema } from './store.js';

/*
 * Running one point: plain, copyable data in (the board and model already
 * loaded and checked), plain data out, so that a point runs the same in
 * this thread, in a worker thread, or on a queue worker on another machine.
 */

export interface PointJob {
  /** The point's content hash: what its result is stored and deduplicated under. */
  readonly key: string;
  /** Its index in the spec's points, for messages. */
  readonly index: number;
  readonly hardware: Hardware;
  readonly model: Model;
  readonly case: Case;
  readonly exact: boolean;
  readonly serving: ServingSettings | undefined;
  readonly evaluations: readonly Evaluation[];
}

/** A point's result as data (errors cannot keep their class across threads or machines). */
export type PointOutcome =
  | { readonly key: string; readonly ok: true; readonly evaluations: PointEvaluations; readonly metrics: Readonly<Record<string, number | null>> }
  | { readonly key: string; readonly ok: false; readonly userError: boolean; readonly message: string };

/** A PointOutcome as plain data: what a queue worker's result must hold to be taken. */
export const PointOutcomeSchema = z.discriminatedUnion('ok', [
  z.strictObject({ key: z.string(), ok: z.literal(true), evaluations: PointEvaluationsSchema, metrics: MetricsSchema }),
  z.strictObject({ key: z.string(), ok: z.literal(false), userError: z.boolean(), message: z.string() }),
]);

/** What each evaluation runs. Inside a point the pool is not nested: profileCases runs in the point's own thread. */
const EVALUATE: { readonly [E in Evaluation]: (job: PointJob) => Promise<NonNullable<PointEvaluations[E]>> } = {
  design: async (job) => {
    const fit = designFit(job.hardware);
    if (fit === undefined) return { fits: null, maxResourceUtilization: null, utilization: {} };
    return { fits: fit.fits, maxResourceUtilization: fit.maxResourceUtilization, utilization: Object.fromEntries(fit.lines.map((line) => [line.item, line.utilization])) };
  },
  profile: async (job) => {
    const parallel = parallelOf(job.serving);
    const result =
      parallel === undefined
        ? await profileCases({ hardware: job.hardware, cases: [job.case], source: { kind: 'model', model: job.model }, exact: job.exact, threads: 1 })
        : profileParallelCases({ ...parallel, hardware: job.hardware, model: job.model, cases: [job.case], exact: job.exact });
    const { device, bound, energy } = result.cases[0]!;
    return { device, bound, ...(energy === undefined ? {} : { energy: { joules: energy.joules, averageWatts: energy.averageWatts, tokensPerJoule: energy.tokensPerJoule, tokensPerDollar: energy.tokensPerDollar ?? null } }) };
  },
  serving: async (job) => {
    const { result } = serve({ hardware: job.hardware, model: job.model, ...servingOptions(job.serving ?? {}), percentiles: SERVING_DEFAULTS.percentiles });
    return Object.fromEntries(Object.entries(result).filter((entry): entry is [string, number | string | boolean | null] => isScalar(entry[1])));
  },
};

/** The layout keys a sweep sets beside its serving settings. */
const LAYOUT_KEYS = new Set<string>(['tensorParallelSize', 'pipelineParallelSize', 'dataParallelSize', 'enableExpertParallel']);

/** The point's cards; undefined for one card per replica (today's single-card simulation, unchanged). */
function parallelOf(settings: ServingSettings | undefined): ParallelOptions | undefined {
  const layout = parallelLayout({ tensorParallelSize: settings?.tensorParallelSize, pipelineParallelSize: settings?.pipelineParallelSize, dataParallelSize: settings?.dataParallelSize, enableExpertParallel: settings?.enableExpertParallel });
  return layout.tensorParallelSize * layout.pipelineParallelSize === 1 && !layout.enableExpertParallel ? undefined : { layout };
}

const WORKLOAD_KEYS = new Set<string>([
  'datasetName',
  'numPrompts',
  'requestRate',
  'burstiness',
  'seed',
  'randomInputLen',
  'randomOutputLen',
  'randomRangeRatio',
  'randomPrefixLen',
  'multiturnTurns',
  'multiturnPrefixLen',
  'multiturnInputLen',
  'multiturnOutputLen',
]);

/** A sweep's serving settings split into `serve()`'s engine options and its workload (a random dataset unless named). */
function servingOptions(settings: ServingSettings): Omit<Parameters<typeof serve>[0], 'hardware' | 'model'> {
  const engine: Record<string, unknown> = {};
  const workload: Record<string, unknown> = { datasetName: 'random' };
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined || LAYOUT_KEYS.has(key)) continue;
    (WORKLOAD_KEYS.has(key) ? workload : engine)[key] = key === 'requestRate' && value === 'inf' ? Infinity : value;
  }
  const layout = parallelLayout({ tensorParallelSize: settings.tensorParallelSize, pipelineParallelSize: settings.pipelineParallelSize, dataParallelSize: settings.dataParallelSize, enableExpertParallel: settings.enableExpertParallel });
  return { ...engine, parallel: { layout }, workload: workload as unknown as Parameters<typeof serve>[0]['workload'] };
}

function isScalar(value: unknown): value is number | string | boolean | null {
  return value === null || ['number', 'string', 'boolean'].includes(typeof value);
}

/** Runs a point's evaluations and computes every objective they give. Never throws. */
export async function runPointJob(job: PointJob): Promise<PointOutcome> {
  try {
    const evaluations: Record<string, unknown> = {};
    for (const evaluation of job.evaluations) evaluations[evaluation] = await EVALUATE[evaluation](job);
    const metrics = objectiveValues({ evaluations, hardware: job.hardware, model: job.model }, job.evaluations);
    return { key: job.key, ok: true, evaluations, metrics };
  } catch (error) {
    if (error instanceof UserError) return { key: job.key, ok: false, userError: true, message: error.message };
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { key: job.key, ok: false, userError: false, message: `internal error at point ${job.index}: ${message}` };
  }
}
