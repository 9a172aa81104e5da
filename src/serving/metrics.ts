import type { LatencyMetric, LatencyPercentiles, LatencySummary } from './result.js';

/*
 * Serving metrics as `vllm bench serve` reports them: the same field names,
 * the same definitions (TPOT over requests of more than one output token,
 * ITLs pooled over every request, population standard deviations,
 * percentiles interpolated linearly between order statistics as numpy's
 * default does), so a simulated run and a measured one compare key by key.
 */

/** numpy.percentile's default ("linear"): rank p/100 · (n − 1), interpolated. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = (p / 100) * (n - 1);
  const low = Math.floor(rank);
  const high = Math.min(low + 1, n - 1);
  return sorted[low]! + (rank - low) * (sorted[high]! - sorted[low]!);
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Population standard deviation (numpy.std's default). */
export function std(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i]! - m) ** 2;
  return Math.sqrt(sum / values.length);
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** `99`, `99.9`: how vLLM writes a percentile in its keys (`p99_ttft_ms`). */
export function percentileWord(p: number): string {
  return String(p);
}

/** mean_, median_, std_ and p<P>_ fields of one metric, in ms. */
export function summary<Metric extends LatencyMetric>(name: Metric, values: ArrayLike<number>, percentiles: readonly number[]): LatencySummary<Metric> & LatencyPercentiles<Metric> {
  const sorted = sortedCopy(values);
  const out: Record<string, number> = {
    [`mean_${name}_ms`]: mean(values),
    [`median_${name}_ms`]: percentile(sorted, 50),
    [`std_${name}_ms`]: std(values),
  };
  for (const p of percentiles) out[`p${percentileWord(p)}_${name}_ms`] = percentile(sorted, p);
  return out as LatencySummary<Metric> & LatencyPercentiles<Metric>;
}

/** A growable array of doubles: ITLs of a long run without a boxed number each. */
export class Samples {
  private data = new Float64Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}
