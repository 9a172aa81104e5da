import { z } from 'zod';
import { UserError } from '../errors.js';
import { parseJsonFile } from '../util/json.js';
import { zodIssues } from '../util/zod-issues.js';
import type { ErrorSummary } from './summary.js';

/*
 * The error the repository has recorded (validation/baseline.json): CI runs
 * `validate --baseline` and fails when the median error over the GPU points
 * rises above it, or when fewer points are simulated (a median is easily
 * lowered by dropping the hard points).
 */

export const BaselineSchema = z.strictObject({
  /** What the figures are over. */
  description: z.string(),
  points: z.number().int().nonnegative(),
  medianAbsError: z.number().nonnegative(),
  worstAbsError: z.number().nonnegative(),
  /** The command that produced it. */
  command: z.string(),
});

export type Baseline = z.infer<typeof BaselineSchema>;

export function loadBaseline(path: string): Baseline {
  const parsed = BaselineSchema.safeParse(parseJsonFile(path, 'validation baseline'), { reportInput: true });
  if (!parsed.success) throw new UserError({ what: 'invalid validation baseline', file: path, issues: zodIssues(parsed.error) });
  return parsed.data;
}

/** Rounding allowed between a recorded median and the same run's (the file keeps six decimals). */
const TOLERANCE = 1e-6;

/** What is worse than the baseline, one sentence each; empty when nothing is. */
export function compareWithBaseline(current: ErrorSummary, baseline: Baseline): string[] {
  const problems: string[] = [];
  if (current.medianAbsError > baseline.medianAbsError + TOLERANCE) problems.push(`the median error over the GPU points rose from ${percent(baseline.medianAbsError)} to ${percent(current.medianAbsError)}`);
  if (current.points < baseline.points) problems.push(`${current.points} GPU points were simulated, fewer than the ${baseline.points} recorded`);
  return problems;
}

/** The baseline a run records. */
export function baselineOf(current: ErrorSummary, command: string): Baseline {
  const round = (value: number) => Number(value.toFixed(6));
  return { description: 'median and worst absolute relative error over the GPU points of `fpga-llm-sim validate`', points: current.points, medianAbsError: round(current.medianAbsError), worstAbsError: round(current.worstAbsError), command };
}

const percent = (value: number) => `${(value * 100).toFixed(2)} %`;
