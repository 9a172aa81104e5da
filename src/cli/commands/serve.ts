import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import { deviceLabel } from '../../backends/index.js';
import { serve, servingReport, servingTraceEvents, type RequestRecord, type StepRecord } from '../../serving/index.js';
import { checkOutputDirectory, checkOutputPaths, OutputSet } from '../../util/output-set.js';
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
  checkOutputs(options);
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
  progress.finish(`${requests.length} requests, ${result.steps} steps simulated in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  const document = { ...result, model: label };
  // The saved result, the requests and the trace are written together or not at all.
  const outputs = new OutputSet();
  const notes: string[] = [];
  if (options.saveResult === true) {
    const name = options.resultFilename ?? defaultResultName(options, { model: model.name, hardware: hardware.name });
    // As vLLM takes it: an absolute file name as given, a relative one under --result-dir.
    const path = isAbsolute(name) ? name : join(options.resultDir, name);
    outputs.add(path, `${JSON.stringify(document, null, 2)}\n`);
    notes.push(path);
  }
  if (options.requestsCsv !== undefined) {
    outputs.add(options.requestsCsv, requestsCsv(requests));
    notes.push(`${options.requestsCsv} (${requests.length} requests)`);
  }
  if (options.trace !== undefined) {
    outputs.add(options.trace, JSON.stringify(servingTraceEvents(requests, steps, `${label} on ${deviceLabel(hardware)}`)));
    notes.push(`${options.trace} (${steps.length} steps, ${requests.length} requests; open it in https://ui.perfetto.dev)`);
  }
  outputs.commit();
  for (const note of notes) io.stderr.write(`fpga-llm-sim: wrote ${note}\n`);
  io.stdout.write(options.json === true ? `${JSON.stringify(document, null, 2)}\n` : servingReport(document, options));
}

/** The outputs asked for can be written: checked before the run, not after it. */
function checkOutputs(options: ServeCliOptions): void {
  if (options.saveResult === true && !(options.resultFilename !== undefined && isAbsolute(options.resultFilename))) checkOutputDirectory(options.resultDir);
  if (options.saveResult === true && options.resultFilename !== undefined) checkOutputPaths([isAbsolute(options.resultFilename) ? options.resultFilename : join(options.resultDir, options.resultFilename)]);
  checkOutputPaths([options.requestsCsv, options.trace].filter((path): path is string => path !== undefined));
}

function defaultResultName(options: ServeCliOptions, names: { model: string; hardware: string }): string {
  const rate = options.requestRate === Infinity ? 'inf' : String(options.requestRate);
  const concurrency = options.maxConcurrency === undefined ? '' : `-concurrency${options.maxConcurrency}`;
  return `${options.policy}-${rate}qps${concurrency}-${names.model}-${names.hardware}.json`;
}

const CSV_COLUMNS = ['id', 'prompt_tokens', 'output_tokens', 'sent_ms', 'scheduled_ms', 'first_token_ms', 'finished_ms', 'ttft_ms', 'tpot_ms', 'e2el_ms', 'queue_ms', 'preemptions', 'cached_prompt_tokens'] as const;

export function requestsCsv(requests: readonly RequestRecord[]): string {
  const rows = requests.map((r) => [r.id, r.promptTokens, r.outputTokens, r.sentMs, r.scheduledMs, r.firstTokenMs, r.finishedMs, r.ttftMs, r.tpotMs, r.e2elMs, r.queueMs, r.preemptions, r.cachedTokens].join(','));
  return `${CSV_COLUMNS.join(',')}\n${rows.map((row) => `${row}\n`).join('')}`;
}
