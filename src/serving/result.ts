/*
 * What a serving run reports: `vllm bench serve`'s result fields under its
 * names and with its definitions, then what only a simulator sees. Each is a
 * typed property, so `result.mean_ttft_ms` is a number and a misspelt metric
 * does not compile.
 */

/** mean_, median_ and std_ of one latency metric, ms. */
export type LatencySummary<Metric extends string> = { readonly [K in `${'mean' | 'median' | 'std'}_${Metric}_ms`]: number };

/** p<P>_ of one latency metric at each percentile asked for (`p99_ttft_ms`, `p99.9_ttft_ms`), ms. */
export type LatencyPercentiles<Metric extends string> = { readonly [K in `p${number}_${Metric}_ms`]: number };

/** The latency metrics vLLM summarises. */
export const LATENCY_METRICS = ['ttft', 'tpot', 'itl', 'e2el'] as const;
export type LatencyMetric = (typeof LATENCY_METRICS)[number];

export type LatencyFields = LatencySummary<'ttft'> &
  LatencyPercentiles<'ttft'> &
  LatencySummary<'tpot'> &
  LatencyPercentiles<'tpot'> &
  LatencySummary<'itl'> &
  LatencyPercentiles<'itl'> &
  LatencySummary<'e2el'> &
  LatencyPercentiles<'e2el'>;

/** How the benchmark client ran, as `vllm bench serve --save-result` records it first: what makes a saved result a scenario that can be run again. */
export interface VllmRunSettings {
  readonly num_prompts: number;
  /** Requests per second, or "inf" (all at once), as vLLM writes it. */
  readonly request_rate: number | 'inf';
  /** Gamma shape of the gaps between requests (1: Poisson). */
  readonly burstiness: number;
  /** Requests in flight at most; null without a limit. */
  readonly max_concurrency: number | null;
}

/** The run-level fields `vllm bench serve` writes, in its order. */
export interface VllmRunFields {
  /** Seconds from the first request sent to the last completed. */
  readonly duration: number;
  readonly completed: number;
  readonly failed: number;
  readonly total_input_tokens: number;
  readonly total_output_tokens: number;
  readonly request_throughput: number;
  /** Requests per second that met every --goodput objective; null without objectives. */
  readonly request_goodput: number | null;
  readonly output_throughput: number;
  readonly total_token_throughput: number;
  readonly max_output_tokens_per_s: number;
  readonly max_concurrent_requests: number;
}

/** Per-request arrays `vllm bench serve` saves (seconds where vLLM uses seconds). */
export interface VllmPerRequestFields {
  readonly input_lens: readonly number[];
  readonly output_lens: readonly number[];
  readonly ttfts: readonly number[];
  readonly itls: ReadonlyArray<readonly number[]>;
  readonly latencies: readonly number[];
  readonly start_times: readonly number[];
  readonly errors: readonly string[];
}

/** Energy of the run and what it buys; null where the board describes no energy or price. */
export interface EnergyFields {
  readonly energy_joules: number | null;
  readonly mean_power_watts: number | null;
  readonly output_tokens_per_joule: number | null;
  readonly joules_per_request: number | null;
  readonly output_tokens_per_dollar: number | null;
}

/** A mixture of experts' run: the expert load assumed, and the routed experts its steps ran per sparse layer, on average. */
export interface ExpertFields {
  readonly expert_load: string;
  readonly routed_experts: number;
  readonly mean_active_experts_per_layer: number;
}

/** What only a simulator sees. */
export interface SimulatorFields extends EnergyFields, Partial<ExpertFields> {
  readonly hardware: string;
  readonly model: string;
  readonly policy: string;
  readonly steps: number;
  readonly kv_cache_blocks: number;
  readonly kv_cache_block_tokens: number;
  /** Fractions of the KV blocks held, at the peak and over time. */
  readonly peak_kv_cache_usage: number;
  readonly mean_kv_cache_usage: number;
  /** Prompt tokens found in the prefix cache over prompt tokens looked up, of admitted requests. */
  readonly prefix_cache_hit_rate: number;
  readonly preemptions: number;
  readonly mean_queue_ms: number;
  /** Busy time of each module of the board over the run's duration. */
  readonly module_busy_share: Readonly<Record<string, number>>;
  /** The steps' physical bound, summed, ms; and the run's duration as a share of it, %. */
  readonly bound_ms: number;
  readonly percent_of_bound: number;
  /** The time-average of requests in the system, and Little's law's λ·W for comparison. */
  readonly mean_requests_in_system: number;
  readonly littles_law_requests: number;
  /** Where the model ran on more than one card: the layout (vLLM's names) and the router; absent on one card. */
  readonly parallel?: ParallelServingFields | undefined;
}

/** A run over several cards: the layout, every card counted, and the router in front of the replicas. */
export interface ParallelServingFields {
  readonly tensor_parallel_size: number;
  readonly pipeline_parallel_size: number;
  readonly data_parallel_size: number;
  readonly cards: number;
  /** The router's name; null with one replica. */
  readonly router: string | null;
  /** Requests each replica served. */
  readonly replica_requests: readonly number[];
}

/** A serving run's result: vLLM's fields, then ours. */
export type ServingResult = VllmRunSettings & VllmRunFields & LatencyFields & VllmPerRequestFields & SimulatorFields;
