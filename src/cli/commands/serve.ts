import { join } from 'node:path';
import type { Command } from 'commander';
import { serve, servingTraceEvents, type RequestRecord, type StepRecord } from '../../serving/index.js';
import { writeFileAtomic } from '../../util/files.js';
import { loadBoardAndModel, withBoardAndModel, type BoardModelOptions } from '../board-model.js';
import type { CliIo } from '../io.js';
import { cliCache } from '../options.js';
import { Progress } from '../progress.js';
import { servingSettings, withServingOptions, workloadOf, type ServingCliOptions } from '../serving-options.js';

/*
 * `serve`: one serving run. A report like `vllm bench serve`'s on stdout
 * (or its result JSON with --json), the result JSON saved with
 * --save-result, the per-request CSV, and a Perfetto trace of requests and steps.
 */

interface ServeCliOptions extends BoardModelOptions, ServingCliOptions {
  json?: boolean;
  saveResult?: boolean;
  resultDir: string;
  resultFilename?: string;
  requestsCsv?: string;
  trace?: string;
}

export function addOptions(command: Command): Command {
  return withServingOptions(withBoardAndModel(command))
    .option('--json', "print vllm bench serve's result JSON (with our fields) instead of the report")
    .option('--save-result', 'also write the result JSON to --result-dir/--result-filename')
    .option('--result-dir <dir>', 'where --save-result writes', '.')
    .option('--result-filename <file>', 'file name of the saved result (default: <policy>-<rate>qps-<model>-<hardware>.json)')
    .option('--requests-csv <file>', 'write one row per request: times, TTFT, TPOT, E2E, queue time, preemptions, cached prompt tokens')
    .option('--trace <file>', 'write a Chrome trace (Perfetto): a track per request (queued, prefill, decode) and a track of steps');
}

export function run(options: ServeCliOptions, io: CliIo): void {
  const { hardware, model, label } = loadBoardAndModel(options, io);
  const progress = new Progress('serve', io.stderr);
  const steps: StepRecord[] = [];
  const started = performance.now();
  const { result, requests } = serve({
    hardware,
    model,
    workload: workloadOf(options),
    ...servingSettings(options),
    cache: cliCache(options.cache, io),
    onProgress: (done, total) => progress.update(done, total, 'requests completed'),
    onStep: options.trace === undefined ? undefined : (step) => steps.push(step),
  });
  progress.finish(`${requests.length} requests, ${result['steps'] as number} steps simulated in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  const document = { ...result, model: label };
  if (options.saveResult === true) {
    const path = join(options.resultDir, options.resultFilename ?? defaultResultName(options, { model: model.name, hardware: hardware.name }));
    writeFileAtomic(path, `${JSON.stringify(document, null, 2)}\n`);
    io.stderr.write(`fpga-llm-sim: wrote ${path}\n`);
  }
  if (options.requestsCsv !== undefined) {
    writeFileAtomic(options.requestsCsv, requestsCsv(requests));
    io.stderr.write(`fpga-llm-sim: wrote ${options.requestsCsv} (${requests.length} requests)\n`);
  }
  if (options.trace !== undefined) writeServingTrace(options.trace, { requests, steps, name: `${label} on ${hardware.name}` }, io);
  io.stdout.write(options.json === true ? `${JSON.stringify(document, null, 2)}\n` : servingReport(document, options));
}

function defaultResultName(o: ServeCliOptions, r: { model: string; hardware: string }): string {
  const rate = o.requestRate === Infinity ? 'inf' : String(o.requestRate);
  const concurrency = o.maxConcurrency === undefined ? '' : `-concurrency${o.maxConcurrency}`;
  return `${o.policy}-${rate}qps${concurrency}-${r.model}-${r.hardware}.json`;
}

/** The report `vllm bench serve` prints, with our fields after it. */
export function servingReport(r: Record<string, unknown>, o: { maxConcurrency?: number | undefined; requestRate: number; metricPercentiles: readonly number[] }): string {
  const n = (key: string) => r[key] as number;
  const lines: string[] = [];
  const row = (label: string, value: string | number) => lines.push(`${label.padEnd(40)} ${typeof value === 'number' ? value.toFixed(2) : value}`);
  const header = (title: string, fill: string) => lines.push(` ${title} `.padStart(25 + Math.ceil((title.length + 2) / 2), fill).padEnd(50, fill));
  header('Serving Benchmark Result', '=');
  row('Successful requests:', String(n('completed')));
  if (o.maxConcurrency !== undefined) row('Maximum request concurrency:', String(o.maxConcurrency));
  if (o.requestRate !== Infinity) row('Request rate configured (RPS):', o.requestRate);
  row('Benchmark duration (s):', n('duration'));
  row('Total input tokens:', String(n('total_input_tokens')));
  row('Total generated tokens:', String(n('total_output_tokens')));
  row('Request throughput (req/s):', n('request_throughput'));
  if (r['request_goodput'] !== null) row('Request goodput (req/s):', n('request_goodput'));
  row('Output token throughput (tok/s):', n('output_throughput'));
  row('Peak output token throughput (tok/s):', n('max_output_tokens_per_s'));
  row('Peak concurrent requests:', n('max_concurrent_requests'));
  row('Total token throughput (tok/s):', n('total_token_throughput'));
  for (const [key, name, title] of [['ttft', 'TTFT', 'Time to First Token'], ['tpot', 'TPOT', 'Time per Output Token (excl. 1st token)'], ['itl', 'ITL', 'Inter-token Latency'], ['e2el', 'E2EL', 'End-to-end Latency']] as const) {
    header(title, '-');
    row(`Mean ${name} (ms):`, n(`mean_${key}_ms`));
    row(`Median ${name} (ms):`, n(`median_${key}_ms`));
    for (const p of o.metricPercentiles) row(`P${p} ${name} (ms):`, n(`p${p}_${key}_ms`));
  }
  header('Simulated', '-');
  row('Steps:', String(n('steps')));
  row('KV cache usage, peak / mean (%):', `${(n('peak_kv_cache_usage') * 100).toFixed(1)} / ${(n('mean_kv_cache_usage') * 100).toFixed(1)}`);
  row('Prefix cache hit rate (%):', n('prefix_cache_hit_rate') * 100);
  row('Preemptions:', String(n('preemptions')));
  const busy = r['module_busy_share'] as Record<string, number>;
  row('Module busy (% of the run):', Object.entries(busy).map(([name, share]) => `${name} ${(share * 100).toFixed(1)}`).join(', '));
  row('Bound (% of the run):', n('percent_of_bound'));
  lines.push('='.repeat(50));
  return `${lines.join('\n')}\n`;
}

const CSV_COLUMNS = ['id', 'prompt_tokens', 'output_tokens', 'sent_ms', 'scheduled_ms', 'first_token_ms', 'finished_ms', 'ttft_ms', 'tpot_ms', 'e2el_ms', 'queue_ms', 'preemptions', 'cached_prompt_tokens'] as const;

export function requestsCsv(requests: readonly RequestRecord[]): string {
  const rows = requests.map((r) => [r.id, r.promptTokens, r.outputTokens, r.sentMs, r.scheduledMs, r.firstTokenMs, r.finishedMs, r.ttftMs, r.tpotMs, r.e2elMs, r.queueMs, r.preemptions, r.cachedTokens].join(','));
  return `${CSV_COLUMNS.join(',')}\n${rows.map((row) => `${row}\n`).join('')}`;
}

/** A track per request (queued, prefill, decode) and a track of steps with their batch sizes, as Chrome trace events. */
function writeServingTrace(path: string, t: { requests: readonly RequestRecord[]; steps: readonly StepRecord[]; name: string }, io: CliIo): void {
  writeFileAtomic(path, JSON.stringify(servingTraceEvents(t.requests, t.steps, t.name)));
  io.stderr.write(`fpga-llm-sim: wrote ${path} (${t.steps.length} steps, ${t.requests.length} requests; open it in https://ui.perfetto.dev)\n`);
}
