import { dirname } from 'node:path';
import { z } from 'zod';
import { MAX_BATCH_SEQUENCES } from '../batch.js';
import { UserError } from '../errors.js';
import { UNSAFE_KEYS } from '../hardware/index.js';
import { PrecisionSchema } from '../model/index.js';
import { MAX_KV_BLOCKS, MAX_REQUESTS_PER_RUN, POLICY_NAMES, ROUTER_NAMES } from '../serving/index.js';
import { parseYaml, readTextFile } from '../util/yaml.js';
import { zodIssues } from '../util/zod-issues.js';
import { OBJECTIVE_NAMES, objectiveNamed } from './objectives.js';

/*
 * A sweep spec: what every point shares (board, model, precision, case,
 * hardware overrides, serving settings), the axes that vary, how points are
 * drawn from them, and the objectives each point reports. One zod schema
 * validates the file; errors name the key.
 */

/** A value a hardware key or serving setting takes: YAML scalars (a string starting with `=` is an expression). */
const ScalarSchema = z.union([z.number(), z.string(), z.boolean()]);

/** `batch x prompt x generated`, as `--cases` takes one. */
const CaseTextSchema = z
  .string()
  .regex(/^\d+x\d+x\d+$/, 'expected batch x prompt x generated, e.g. 1x128x512')
  .refine((text) => text.split('x').every((part) => Number(part) >= 1), 'batch, prompt and generated must be positive')
  .refine((text) => Number(text.split('x')[0]) <= MAX_BATCH_SEQUENCES, `a batch of at most ${MAX_BATCH_SEQUENCES} sequences is taken (MAX_BATCH_SEQUENCES)`);

/** A precision as the model file takes it: a preset's name, or a preset with fields overridden. Kept as written (the row shows it); checked here. */
const PrecisionInputSchema = z.union([z.string(), z.record(z.string(), ScalarSchema)]).superRefine((value, context) => {
  const parsed = PrecisionSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) for (const issue of zodIssues(parsed.error)) context.addIssue({ code: 'custom', message: issue.message, path: issue.path === '' ? [] : issue.path.split('.') });
});

/** A dotted hardware key, as `--set` takes it. */
const HardwareKeySchema = z
  .string()
  .regex(/^[A-Za-z_]\w*(\.[A-Za-z_0-9]\w*)*$/, 'expected a dotted hardware key, e.g. hbm.bandwidthGiBps')
  .refine((key) => !key.split('.').some((part) => UNSAFE_KEYS.has(part)), `names what every object inherits (${[...UNSAFE_KEYS].join(', ')}), not a hardware key`);

/** Requests per second; `inf` (or YAML's .inf) sends every request at once. Kept as `inf` so that points stay JSON. */
const RateSchema = z.union([z.number().positive(), z.literal('inf')]).transform((rate) => (rate === Infinity ? 'inf' : rate));

/**
 * The serving settings a sweep may set or vary: `serve()`'s engine options
 * and its workload's, named as the library names them, and the cards the
 * model runs on (vLLM's names; the profile objectives use them too).
 */
export const SERVING_FIELDS = {
  tensorParallelSize: z.number().int().positive(),
  pipelineParallelSize: z.number().int().positive(),
  dataParallelSize: z.number().int().positive(),
  enableExpertParallel: z.boolean(),
  router: z.enum(ROUTER_NAMES),
  policy: z.enum(POLICY_NAMES),
  maxNumSeqs: z.number().int().positive(),
  maxNumBatchedTokens: z.number().int().positive(),
  enableChunkedPrefill: z.boolean(),
  enablePrefixCaching: z.boolean(),
  blockSize: z.number().int().positive(),
  numGpuBlocksOverride: z.number().int().positive().max(MAX_KV_BLOCKS),
  maxConcurrency: z.number().int().positive(),
  // Traces are left out: a point must be plain data that runs anywhere, and a trace is a file.
  datasetName: z.enum(['random', 'multiturn']),
  numPrompts: z.number().int().positive().max(MAX_REQUESTS_PER_RUN),
  requestRate: RateSchema,
  burstiness: z.number().positive(),
  seed: z.number().int().nonnegative(),
  randomInputLen: z.number().int().positive(),
  randomOutputLen: z.number().int().positive(),
  randomRangeRatio: z.number().min(0).max(0.999999),
  randomPrefixLen: z.number().int().nonnegative(),
  multiturnTurns: z.number().int().positive(),
  multiturnPrefixLen: z.number().int().nonnegative(),
  multiturnInputLen: z.number().int().positive(),
  multiturnOutputLen: z.number().int().positive(),
} as const;
export type ServingKey = keyof typeof SERVING_FIELDS;
const SERVING_KEYS = Object.keys(SERVING_FIELDS) as [ServingKey, ...ServingKey[]];

const ServingSchema = z.strictObject(Object.fromEntries(SERVING_KEYS.map((key) => [key, SERVING_FIELDS[key].optional()])) as { [K in ServingKey]: z.ZodOptional<(typeof SERVING_FIELDS)[K]> });
export type ServingSettings = z.infer<typeof ServingSchema>;

/**
 * Most points one sweep may have. A sweep holds its table in memory and
 * writes it at the end; at the example's 0.2 s a point, 100,000 points are
 * some 6 hours on 2 cores, or a cluster's job array. Larger studies are
 * several sweeps.
 */
export const MAX_SWEEP_POINTS = 100_000;

/** A continuous range: sampled anywhere in [min, max] (random, latin-hypercube), or at `steps` evenly spaced values (grid, and any sampling when given). */
const RangeSchema = z
  .strictObject({
    min: z.number(),
    max: z.number(),
    /** Values from min to max inclusive, evenly spaced (geometrically with `log`). */
    steps: z.number().int().min(2).max(MAX_SWEEP_POINTS).optional(),
    log: z.boolean().optional(),
    /** Round every value to a whole number. */
    integer: z.boolean().optional(),
  })
  .refine((range) => range.max > range.min, { message: 'max must be greater than min', path: ['max'] })
  .refine((range) => range.log !== true || range.min > 0, { message: 'a log range needs min > 0', path: ['min'] });
export type Range = z.infer<typeof RangeSchema>;

/** An axis's values: a list, or a range. */
const AxisValuesSchema = z.union([z.array(ScalarSchema).min(1), RangeSchema]);
export type AxisValues = z.infer<typeof AxisValuesSchema>;

const SamplingSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('grid') }),
  z.strictObject({ method: z.literal('random'), points: z.number().int().positive().max(MAX_SWEEP_POINTS), seed: z.number().int().nonnegative().default(0) }),
  z.strictObject({ method: z.literal('latin-hypercube'), points: z.number().int().positive().max(MAX_SWEEP_POINTS), seed: z.number().int().nonnegative().default(0) }),
]);
export type Sampling = z.infer<typeof SamplingSchema>;

const ObjectiveNameSchema = z.enum(OBJECTIVE_NAMES);

export const SweepSpecSchema = z
  .strictObject({
    /** Names the output folder: compiler_output/sweeps/<name>/. */
    name: z
      .string()
      .regex(/^[\w.-]+$/, 'expected a name of letters, digits, _, . and - (it names the output folder)')
      .refine((name) => !/^\.+$/.test(name), 'expected a name with a letter or digit: a name of dots names no folder of its own'),
    description: z.string().optional(),
    /** What every point shares unless an axis varies it. */
    board: z.string().min(1).default('vhk158'),
    model: z.string().min(1).default('llama2-7b'),
    precision: PrecisionInputSchema.optional(),
    case: CaseTextSchema.default('1x128x128'),
    /** Simulate every token count as it is instead of padding as FlightLLM does. */
    exact: z.boolean().default(false),
    set: z.record(HardwareKeySchema, ScalarSchema).default({}),
    serving: ServingSchema.optional(),
    axes: z
      .strictObject({
        boards: z.array(z.string().min(1)).min(1).optional(),
        models: z.array(z.string().min(1)).min(1).optional(),
        precisions: z.array(PrecisionInputSchema).min(1).optional(),
        cases: z.array(CaseTextSchema).min(1).optional(),
        set: z.record(HardwareKeySchema, AxisValuesSchema).optional(),
        serving: z.partialRecord(z.enum(SERVING_KEYS), AxisValuesSchema).optional(),
      })
      .default({}),
    sampling: SamplingSchema.default({ method: 'grid' }),
    objectives: z.array(ObjectiveNameSchema).min(1).default(['decodeTokensPerSecond', 'prefillMs', 'percentOfBound']),
    /**
     * Bounds on objectives (`resourceUtilization: { max: 80 }`): a point
     * outside them is reported but is no candidate for the best point or the
     * Pareto front, as a point whose design does not fit its device is not.
     * A constrained objective is reported as a column even when not ranked.
     */
    constraints: z
      .partialRecord(
        ObjectiveNameSchema,
        z.strictObject({ min: z.number().optional(), max: z.number().optional() }).refine((bound) => bound.min !== undefined || bound.max !== undefined, 'expected min, max or both'),
      )
      .default({}),
    figures: z
      .strictObject({
        /** Two objectives: x, then y. Default the first two objectives. */
        pareto: z.tuple([ObjectiveNameSchema, ObjectiveNameSchema]).optional(),
        /** A two-axis slice coloured by an objective; the other axes held at `where` (default: the best point's values). */
        heatmap: z.strictObject({ x: z.string(), y: z.string(), value: ObjectiveNameSchema.optional(), where: z.record(z.string(), ScalarSchema).optional() }).optional(),
      })
      .default({}),
  })
  .superRefine(checkSpec);

/** A validated sweep spec. `directory` is where relative board and model files are looked for first. */
export type SweepSpec = z.infer<typeof SweepSpecSchema> & { readonly directory?: string | undefined };

/** Columns results.csv always has; a swept key of the same name would be ambiguous. */
const RESERVED_COLUMNS: readonly string[] = ['point', 'board', 'model', 'precision', 'case', 'status', 'fits', 'error', 'key'];

/** Rules across keys, each reported at the key to change. */
function checkSpec(spec: z.infer<typeof SweepSpecSchema>, context: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string) => context.addIssue({ code: 'custom', path, message });
  for (const [key, values] of Object.entries(spec.axes.serving ?? {})) {
    const field = SERVING_FIELDS[key as ServingKey];
    if (!Array.isArray(values)) {
      if (!(field instanceof z.ZodNumber)) issue(['axes', 'serving', key], 'a range needs a numeric setting; give a list');
      continue;
    }
    values.forEach((value, index) => {
      const parsed = field.safeParse(value, { reportInput: true });
      if (!parsed.success) for (const found of zodIssues(parsed.error)) issue(['axes', 'serving', key, index], found.message);
    });
  }
  if (spec.sampling.method === 'grid') {
    for (const [group, axes] of [['set', spec.axes.set], ['serving', spec.axes.serving]] as const) {
      for (const [key, values] of Object.entries(axes ?? {})) if (!Array.isArray(values) && values.steps === undefined) issue(['axes', group, key, 'steps'], 'grid sampling needs steps for a range (or give a list)');
    }
  }
  const reported = reportedObjectives(spec);
  const usesServing = reported.some((name) => objectiveNamed(name).needs === 'serving');
  if (usesServing && spec.serving === undefined && spec.axes.serving === undefined) issue(['serving'], `required by the serving objectives (${reported.filter((name) => objectiveNamed(name).needs === 'serving').join(', ')}): at least numPrompts, so that a point stays small`);
  for (const [name, bound] of Object.entries(spec.constraints)) {
    if (bound?.min !== undefined && bound.max !== undefined && bound.min > bound.max) issue(['constraints', name, 'max'], `must be at least min (${bound.min}), got ${bound.max}`);
  }
  for (const [group, axes] of [['set', spec.axes.set], ['serving', spec.axes.serving]] as const) {
    for (const key of Object.keys(axes ?? {})) if (RESERVED_COLUMNS.includes(key) || (OBJECTIVE_NAMES as readonly string[]).includes(key)) issue(['axes', group, key], 'names a column of results.csv already (point, what ran, status, an objective, error, key)');
  }
  const pareto = spec.figures.pareto;
  if (pareto !== undefined && pareto[0] === pareto[1]) issue(['figures', 'pareto', 1], 'expected two different objectives');
  if (spec.sampling.method === 'grid') checkGridSize(spec.axes, issue);
}

/** A grid of more than MAX_SWEEP_POINTS points is refused from the axes' lengths, before any point is made (this runs beside the range's own check of its steps). */
function checkGridSize(axes: z.infer<typeof SweepSpecSchema>['axes'], issue: (path: PropertyKey[], message: string) => void): void {
  const lists: Array<{ name: string; values: unknown[] | AxisValues }> = [
    ...(['boards', 'models', 'precisions', 'cases'] as const).map((name) => ({ name, values: axes[name] ?? [] })),
    ...Object.entries(axes.set ?? {}).map(([name, values]) => ({ name, values })),
    ...Object.entries(axes.serving ?? {}).map(([name, values]) => ({ name: `serving.${name}`, values: values! })),
  ];
  const lengths = lists.map(({ name, values }) => ({ name, length: Array.isArray(values) ? values.length : values.steps === undefined ? 1 : values.steps > MAX_SWEEP_POINTS ? values.steps : discreteValues(values).length })).filter((axis) => axis.length > 1);
  const points = lengths.reduce((product, axis) => product * axis.length, 1);
  if (points > MAX_SWEEP_POINTS) {
    issue(['axes'], `the grid has ${points.toLocaleString('en-US')} points (${lengths.map((axis) => `${axis.name} ${axis.length}`).join(' × ')}): at most ${MAX_SWEEP_POINTS.toLocaleString('en-US')} are taken (MAX_SWEEP_POINTS); split the sweep, or sample it (sampling: { method: random, points: N })`);
  }
}

/** A list as it is; a range at its `steps` evenly spaced values, ends included (each value once). */
export function discreteValues(values: AxisValues): unknown[] {
  if (Array.isArray(values)) return [...values];
  // The schema refuses a range without steps where a grid needs one.
  if (values.steps === undefined) throw new Error('a range without steps has no grid');
  const steps = values.steps;
  return [...new Set(Array.from({ length: steps }, (_, i) => rangeValue(values, i / (steps - 1))))];
}

/** The point at fraction `u` of a range (geometrically with `log`), rounded to 12 significant digits (so that 0.1 steps print as 0.1) or to a whole number. */
export function rangeValue(range: Range, u: number): number {
  const value = range.log === true ? range.min * (range.max / range.min) ** u : range.min + u * (range.max - range.min);
  return range.integer === true ? Math.round(value) : Number(value.toPrecision(12));
}

/** The objectives a sweep reports, ranked ones first, then those only constrained. */
export function reportedObjectives(spec: Pick<SweepSpec, 'objectives' | 'constraints'>): string[] {
  return [...new Set([...spec.objectives, ...Object.keys(spec.constraints)])];
}

/** Reads and validates a sweep spec file; every problem is reported at once, by key. */
export function loadSweepSpec(path: string): SweepSpec {
  const raw = parseYaml(readTextFile(path, UserError, 'sweep spec'), path, UserError, 'sweep spec');
  return { ...parseSweepSpec(raw, path), directory: dirname(path) };
}

/** Validates an in-memory sweep spec (a notebook's). */
export function parseSweepSpec(raw: unknown, file?: string): SweepSpec {
  const parsed = SweepSpecSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new UserError({ what: 'invalid sweep spec', file, issues: zodIssues(parsed.error) });
  return parsed.data;
}
