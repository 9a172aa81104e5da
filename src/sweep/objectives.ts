import type { FitItem, Hardware } from '../backends/index.js';
import type { Model } from '../model/index.js';
import type { CaseFigures } from '../profiler/index.js';

/*
 * What a sweep can rank points by: one record per objective, each naming
 * the evaluation it needs and reading its value from that evaluation's
 * results. A new objective is one more record here. Energy objectives read
 * the energy the case or the serving run reports from the board's
 * `energy` and `price` (null on a board that describes neither).
 */

/**
 * What a point can be evaluated by: its design checked against its FPGA
 * device (always: it decides the `fits` column), the case profiled
 * (`profileCases`), or a serving run (`serve`).
 */
export const EVALUATIONS = ['design', 'profile', 'serving'] as const;
export type Evaluation = (typeof EVALUATIONS)[number];

/** The figures a point's evaluations produced: plain data, stored with the point. */
export interface PointEvaluations {
  /** The design on its FPGA device; `fits` null where the board names no device. */
  readonly design?:
    | {
        readonly fits: boolean | null;
        readonly maxResourceUtilization: number | null;
        /** Each checked line's utilisation, by what it counts (lut, dsp, …, clock, memoryBandwidth); null where it could not be checked. */
        readonly utilization: Readonly<Partial<Record<FitItem, number | null>>>;
      }
    | undefined;
  /** The case on the board, its physical bound, and its energy where the board describes it. */
  readonly profile?:
    | {
        readonly device: CaseFigures;
        readonly bound: CaseFigures;
        readonly energy?: { readonly joules: number; readonly averageWatts: number; readonly tokensPerJoule: number; readonly tokensPerDollar: number | null } | undefined;
      }
    | undefined;
  /** `serve()`'s scalar result fields (vLLM's names: p99_ttft_ms, output_throughput, …, then ours). */
  readonly serving?: Readonly<Record<string, number | string | boolean | null>> | undefined;
}

/** What an objective reads: the point's evaluations, and the board and model it ran on. */
export interface ObjectiveInput {
  readonly evaluations: PointEvaluations;
  readonly hardware: Hardware;
  readonly model: Model;
}

export interface Objective {
  /** Its column in results.csv and its name in a spec's `objectives`. */
  readonly name: string;
  readonly unit: string;
  /** Whether more (max) or less (min) is better. */
  readonly direction: 'max' | 'min';
  readonly description: string;
  readonly needs: Evaluation;
  /** The value at one point; undefined where the point has none (a field the run did not report). */
  readonly value: (input: ObjectiveInput) => number | undefined;
}

const profile = (input: ObjectiveInput) => input.evaluations.profile;
/** A design line's utilisation as a percentage, where it was checked. */
const percentOf = (item: FitItem) => (input: ObjectiveInput) => {
  const value = input.evaluations.design?.utilization[item];
  return value === null || value === undefined ? undefined : value * 100;
};
const utilizationObjective = (name: string, item: FitItem, what: string) =>
  ({ name, unit: '%', direction: 'min', description: `${what} the design uses of its FPGA device (with what the platform keeps), as a percentage of the data sheet's`, needs: 'design', value: percentOf(item) }) as const;
const servingField = (field: string) => (input: ObjectiveInput) => {
  const value = input.evaluations.serving?.[field];
  return typeof value === 'number' ? value : undefined;
};

export const OBJECTIVES = [
  {
    name: 'decodeTokensPerSecond',
    unit: 'token/s',
    direction: 'max',
    description: "the case's generated tokens per second of decode time",
    needs: 'profile',
    value: (input) => profile(input)?.device.tokensPerSecond,
  },
  { name: 'prefillMs', unit: 'ms', direction: 'min', description: "the case's prefill latency", needs: 'profile', value: (input) => profile(input)?.device.prefillMs },
  { name: 'totalMs', unit: 'ms', direction: 'min', description: "the case's end-to-end latency: prefill and every decode step", needs: 'profile', value: (input) => profile(input)?.device.totalMs },
  {
    name: 'percentOfBound',
    unit: '%',
    direction: 'max',
    description: 'decode throughput as a share of its physical bound (as `boards` prints it)',
    needs: 'profile',
    value: (input) => {
      const figures = profile(input);
      return figures === undefined ? undefined : (figures.device.tokensPerSecond / figures.bound.tokensPerSecond) * 100;
    },
  },
  { name: 'tokensPerJoule', unit: 'token/J', direction: 'max', description: "the case's generated tokens per joule of the board's energy (prefill and decode)", needs: 'profile', value: (input) => profile(input)?.energy?.tokensPerJoule },
  {
    name: 'tokensPerDollar',
    unit: 'token/$',
    direction: 'max',
    description: "the case's generated tokens an hour of the board buys per dollar of its price",
    needs: 'profile',
    value: (input) => profile(input)?.energy?.tokensPerDollar ?? undefined,
  },
  { name: 'averageWatts', unit: 'W', direction: 'min', description: "the board's average power over the case", needs: 'profile', value: (input) => profile(input)?.energy?.averageWatts },
  {
    name: 'resourceUtilization',
    unit: '%',
    direction: 'min',
    description: "the highest share of the FPGA device's LUTs, flip-flops, DSPs, block RAMs and UltraRAMs the design uses (with what the platform keeps)",
    needs: 'design',
    value: (input) => {
      const value = input.evaluations.design?.maxResourceUtilization;
      return value === null || value === undefined ? undefined : value * 100;
    },
  },
  utilizationObjective('lutUtilization', 'lut', 'the LUTs'),
  utilizationObjective('ffUtilization', 'ff', 'the flip-flops'),
  utilizationObjective('dspUtilization', 'dsp', 'the DSP slices'),
  utilizationObjective('bramUtilization', 'bram36', 'the 36 Kb block RAMs'),
  utilizationObjective('uramUtilization', 'uram', 'the UltraRAMs'),
  utilizationObjective('clockUtilization', 'clock', "the clock: the share of the DSP slices' data-sheet maximum"),
  utilizationObjective('memoryBandwidthUtilization', 'memoryBandwidth', "the memory bandwidth: the share of the device's data-sheet peak"),
  { name: 'p99TtftMs', unit: 'ms', direction: 'min', description: "a serving run's 99th-percentile time to first token", needs: 'serving', value: servingField('p99_ttft_ms') },
  { name: 'p99ItlMs', unit: 'ms', direction: 'min', description: "a serving run's 99th-percentile inter-token latency", needs: 'serving', value: servingField('p99_itl_ms') },
  { name: 'outputTokensPerSecond', unit: 'token/s', direction: 'max', description: "a serving run's output tokens per second (vLLM's output_throughput)", needs: 'serving', value: servingField('output_throughput') },
  { name: 'servingTokensPerJoule', unit: 'token/J', direction: 'max', description: "a serving run's output tokens per joule, idle time between steps included", needs: 'serving', value: servingField('output_tokens_per_joule') },
  { name: 'servingTokensPerDollar', unit: 'token/$', direction: 'max', description: "a serving run's output tokens an hour of the board buys per dollar", needs: 'serving', value: servingField('output_tokens_per_dollar') },
] as const satisfies readonly Objective[];

export type ObjectiveName = (typeof OBJECTIVES)[number]['name'];
export const OBJECTIVE_NAMES = OBJECTIVES.map((objective) => objective.name) as [ObjectiveName, ...ObjectiveName[]];

/** The objective of that name (names come from a validated spec). */
export function objectiveNamed(name: string): Objective {
  const objective = OBJECTIVES.find((candidate) => candidate.name === name);
  if (objective === undefined) throw new Error(`no objective named ${name}`);
  return objective;
}

/** The evaluations a list of objectives needs, in EVALUATIONS order; the design check always runs (it decides `fits`). */
export function evaluationsFor(names: readonly string[]): Evaluation[] {
  const needed = new Set<Evaluation>(['design', ...names.map((name) => objectiveNamed(name).needs)]);
  return EVALUATIONS.filter((evaluation) => needed.has(evaluation));
}

/** Every objective the evaluations that ran can give, finite values only (null where there is none). */
export function objectiveValues(input: ObjectiveInput, ran: readonly Evaluation[]): Record<string, number | null> {
  const values: Record<string, number | null> = {};
  for (const objective of OBJECTIVES as readonly Objective[]) {
    if (!ran.includes(objective.needs)) continue;
    const value = objective.value(input);
    values[objective.name] = value !== undefined && Number.isFinite(value) ? value : null;
  }
  return values;
}
