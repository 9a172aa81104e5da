import type { ServingResult } from './result.js';

/* The text report of a serving run: `vllm bench serve`'s, then what only a simulator sees. */

export interface ServingReportOptions {
  /** The client's --max-concurrency and --request-rate, printed as vLLM prints them. */
  readonly maxConcurrency?: number | undefined;
  readonly requestRate: number;
  /** The percentiles the result holds (--metric-percentiles). */
  readonly metricPercentiles: readonly number[];
}

/** The report `vllm bench serve` prints, with our fields after it. */
export function servingReport(result: ServingResult, options: ServingReportOptions): string {
  const lines: string[] = [];
  const row = (label: string, value: string | number) => lines.push(`${label.padEnd(40)} ${typeof value === 'number' ? value.toFixed(2) : value}`);
  const header = (title: string, fill: string) => lines.push(` ${title} `.padStart(25 + Math.ceil((title.length + 2) / 2), fill).padEnd(50, fill));
  header('Serving Benchmark Result', '=');
  row('Successful requests:', String(result.completed));
  if (options.maxConcurrency !== undefined) row('Maximum request concurrency:', String(options.maxConcurrency));
  if (options.requestRate !== Infinity) row('Request rate configured (RPS):', options.requestRate);
  row('Benchmark duration (s):', result.duration);
  row('Total input tokens:', String(result.total_input_tokens));
  row('Total generated tokens:', String(result.total_output_tokens));
  row('Request throughput (req/s):', result.request_throughput);
  if (result.request_goodput !== null) row('Request goodput (req/s):', result.request_goodput);
  row('Output token throughput (tok/s):', result.output_throughput);
  row('Peak output token throughput (tok/s):', result.max_output_tokens_per_s);
  row('Peak concurrent requests:', result.max_concurrent_requests);
  row('Total token throughput (tok/s):', result.total_token_throughput);
  for (const [key, name, title] of [['ttft', 'TTFT', 'Time to First Token'], ['tpot', 'TPOT', 'Time per Output Token (excl. 1st token)'], ['itl', 'ITL', 'Inter-token Latency'], ['e2el', 'E2EL', 'End-to-end Latency']] as const) {
    header(title, '-');
    row(`Mean ${name} (ms):`, result[`mean_${key}_ms`]);
    row(`Median ${name} (ms):`, result[`median_${key}_ms`]);
    for (const p of options.metricPercentiles) row(`P${p} ${name} (ms):`, result[`p${p}_${key}_ms`]);
  }
  header('Simulated', '-');
  if (result.parallel !== undefined) {
    const p = result.parallel;
    row('Cards (tensor × pipeline × replicas):', `${p.cards} (${p.tensor_parallel_size} × ${p.pipeline_parallel_size} × ${p.data_parallel_size})`);
    if (p.router !== null) row(`Requests per replica (${p.router}):`, p.replica_requests.join(' / '));
  }
  row('Steps:', String(result.steps));
  row('KV cache usage, peak / mean (%):', `${(result.peak_kv_cache_usage * 100).toFixed(1)} / ${(result.mean_kv_cache_usage * 100).toFixed(1)}`);
  row('Prefix cache hit rate (%):', result.prefix_cache_hit_rate * 100);
  row('Preemptions:', String(result.preemptions));
  const busy = result.module_busy_share;
  row('Module busy (% of the run):', Object.entries(busy).map(([name, share]) => `${name} ${(share * 100).toFixed(1)}`).join(', '));
  row('Mean time queued (ms):', result.mean_queue_ms);
  row('Physical bound of the steps (s):', result.bound_ms / 1000);
  row('Bound (% of the run):', result.percent_of_bound);
  if (result.expert_load !== undefined) row('Expert load (assumed):', `${result.expert_load}; ${(result.mean_active_experts_per_layer ?? 0).toFixed(1)} of ${result.routed_experts ?? 0} experts a step`);
  row('Mean requests in the system:', result.mean_requests_in_system);
  row("Little's law, request rate x mean E2EL:", result.littles_law_requests);
  energyRows(result, row, header);
  lines.push('='.repeat(50));
  return `${lines.join('\n')}\n`;
}

/** The run's energy, where the board's file describes it (and its price). */
function energyRows(result: ServingResult, row: (label: string, value: string | number) => void, header: (title: string, fill: string) => void): void {
  header('Energy', '-');
  if (result.energy_joules === null) {
    row('Energy:', "not described by the board's file");
    return;
  }
  row('Energy (J):', result.energy_joules);
  if (result.mean_power_watts !== null) row('Mean power (W):', result.mean_power_watts);
  if (result.output_tokens_per_joule !== null) row('Output tokens per joule:', result.output_tokens_per_joule);
  if (result.joules_per_request !== null) row('Joules per request:', result.joules_per_request);
  row('Output tokens per dollar:', result.output_tokens_per_dollar ?? "no price in the board's file");
}

