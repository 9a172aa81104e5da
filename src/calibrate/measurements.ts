import { z } from 'zod';
import { UserError } from '../errors.js';
import { parseJsonFile } from '../util/json.js';
import { zodIssues } from '../util/zod-issues.js';
import type { BatchShape } from '../batch.js';
import type { GpuProfile } from '../profiler/index.js';
import type { RooflineHardware } from '../backends/index.js';
import type { Model } from '../model/index.js';

/*
 * Measurements a board can be calibrated on, each turned into observations:
 * a measured time and the steps whose simulated times should add up to it.
 * - A GPU profile row (batch B, prompt P, G generated): its prefill is one
 *   step of B prompts; its decode the G steps of B sequences at contexts
 *   P … P + G − 1, whose sum is their count times the mean of the first and
 *   last (exact where a step's time grows linearly with its context, as a
 *   memory-bound decode's does).
 * - A `vllm bench serve` result: its mean TPOT is one decode step of as many
 *   sequences as the concurrency at the mean input plus half the mean
 *   output; at concurrency 1 its mean TTFT is one prefill of the mean input.
 *   Queueing and prefills interleaved with decodes are not modelled: run the
 *   benchmark with a fixed concurrency and --ignore-eos for a clean fit.
 */

/** A measured time and what it is modelled as: Σ weight × (simulated time of the step). */
export interface Observation {
  readonly label: string;
  readonly measuredMs: number;
  /**
   * The steps, each group of alike steps once with its count. `floorMs`: the
   * least time one of them may take at the board's power limit
   * (src/energy, powerLimitedMs), which no efficiency moves; none where
   * the board has no limit or the steps are not compute-bound. `fixedMs`:
   * time each of them takes beside its kernels that no fitted parameter
   * moves (the collectives between tensor-parallel cards), added to them.
   */
  readonly terms: ReadonlyArray<{ readonly weight: number; readonly batch: BatchShape; readonly floorMs?: number | undefined; readonly fixedMs?: number | undefined }>;
  /** The board and model the steps run on, where not the calibration's own (a fit over several boards). */
  readonly on?: { readonly hardware: RooflineHardware; readonly model: Model } | undefined;
}

const same = (count: number, shape: { newTokens: number; context: number }): BatchShape => ({ sequences: Array.from({ length: count }, () => shape) });

/** Observations of a GPU profile's rows. */
export function gpuProfileObservations(profile: GpuProfile): Observation[] {
  return profile.rows.flatMap((row) => {
    const name = `${profile.label} ${row.batch}x${row.prompt}x${row.generated}`;
    const last = row.prompt + row.generated - 1;
    const decodeTerms = row.generated === 1 ? [{ weight: 1, batch: same(row.batch, { newTokens: 1, context: row.prompt }) }] : [
      { weight: row.generated / 2, batch: same(row.batch, { newTokens: 1, context: row.prompt }) },
      { weight: row.generated / 2, batch: same(row.batch, { newTokens: 1, context: last }) },
    ];
    return [
      { label: `${name} prefill`, measuredMs: row.prefill_ms, terms: [{ weight: 1, batch: same(row.batch, { newTokens: row.prompt, context: 0 }) }] },
      { label: `${name} decode`, measuredMs: row.decode_ms, terms: decodeTerms },
    ];
  });
}

/**
 * The fields of a `vllm bench serve` result JSON we read. Current vLLM
 * writes these names; older benchmark_serving.py files have the same ones
 * (their goodput key, `request_goodput:`, is not needed here).
 */
export const VllmResultSchema = z.looseObject({
  completed: z.number().int().positive(),
  total_input_tokens: z.number().int().nonnegative(),
  total_output_tokens: z.number().int().positive(),
  max_concurrency: z.number().int().positive().nullable().optional(),
  request_rate: z.union([z.number(), z.string()]).optional(),
  burstiness: z.number().positive().optional(),
  duration: z.number().positive(),
  mean_ttft_ms: z.number().nonnegative(),
  mean_tpot_ms: z.number().nonnegative(),
  output_throughput: z.number().nonnegative(),
  model_id: z.string().optional(),
});
export type VllmResult = z.infer<typeof VllmResultSchema>;

/** Reads a vLLM result JSON; errors name the file and the field. */
export function loadVllmResult(path: string): VllmResult {
  const raw = parseJsonFile(path, 'vLLM benchmark result');
  const parsed = VllmResultSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new UserError({ what: 'invalid vLLM benchmark result (expected the JSON `vllm bench serve --save-result` writes)', file: path, issues: zodIssues(parsed.error) });
  return parsed.data;
}

/** The concurrency a result ran at: its max_concurrency, or every request at once. */
export function concurrencyOf(result: VllmResult): number {
  return Math.min(result.max_concurrency ?? result.completed, result.completed);
}

/** Observations of one vLLM result. */
export function vllmObservations(result: VllmResult, label: string): Observation[] {
  const concurrency = concurrencyOf(result);
  const input = Math.max(1, Math.round(result.total_input_tokens / result.completed));
  const output = result.total_output_tokens / result.completed;
  const context = Math.round(input + output / 2);
  const observations: Observation[] = [{ label: `${label} TPOT at concurrency ${concurrency}`, measuredMs: result.mean_tpot_ms, terms: [{ weight: 1, batch: same(concurrency, { newTokens: 1, context }) }] }];
  if (concurrency === 1) observations.push({ label: `${label} TTFT at concurrency 1`, measuredMs: result.mean_ttft_ms, terms: [{ weight: 1, batch: same(1, { newTokens: input, context: 0 }) }] });
  return observations;
}

/** A result's goodput (requests per second meeting the SLOs), under its current key or benchmark_serving.py's `request_goodput:`. */
export function goodputOf(result: VllmResult): number | undefined {
  const value = (result as Record<string, unknown>)['request_goodput'] ?? (result as Record<string, unknown>)['request_goodput:'];
  return typeof value === 'number' ? value : undefined;
}

/** The request rate a result was sent at; Infinity for "inf" or none. */
export function requestRateOf(result: VllmResult): number {
  const rate = result.request_rate;
  return typeof rate === 'number' && Number.isFinite(rate) && rate > 0 ? rate : Infinity;
}
