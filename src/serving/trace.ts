import type { StepRecord } from './loop.js';
import type { RequestRecord } from './collector.js';

/*
 * A serving run as Chrome trace events (Perfetto opens them): a track of
 * steps, each slice with its batch (sequences, rows, prompt rows), and a
 * track per request with its time queued, its prefill (to the first token)
 * and its decode.
 */

const US_PER_MS = 1000;

export function servingTraceEvents(requests: readonly RequestRecord[], steps: readonly StepRecord[], processName: string): object {
  const events: object[] = [
    { name: 'process_name', ph: 'M', pid: 1, args: { name: processName } },
    { name: 'thread_name', ph: 'M', pid: 1, tid: 0, args: { name: 'steps' } },
  ];
  const slice = (name: string, tid: number, fromMs: number, toMs: number, args: object) => events.push({ name, cat: 'serving', ph: 'X', ts: fromMs * US_PER_MS, dur: (toMs - fromMs) * US_PER_MS, pid: 1, tid, args });
  for (const step of steps) {
    const rows = step.batch.sequences.reduce((sum, s) => sum + s.newTokens, 0);
    const decodes = step.batch.sequences.filter((s) => s.newTokens === 1).length;
    slice(`B=${step.batch.sequences.length}`, 0, step.startMs, step.endMs, { sequences: step.batch.sequences.length, decodes, rows, kvBlocks: step.kvBlocksUsed, boundMs: step.cost.boundMs });
  }
  for (const r of requests) {
    const tid = r.id + 1;
    events.push({ name: 'thread_name', ph: 'M', pid: 1, tid, args: { name: `request ${r.id}` } });
    const args = { prompt: r.promptTokens, output: r.outputTokens, preemptions: r.preemptions, cachedPromptTokens: r.cachedTokens };
    if (r.scheduledMs > r.sentMs) slice('queued', tid, r.sentMs, r.scheduledMs, args);
    slice('prefill', tid, r.scheduledMs, r.firstTokenMs, args);
    if (r.finishedMs > r.firstTokenMs) slice('decode', tid, r.firstTokenMs, r.finishedMs, args);
  }
  return { traceEvents: events, displayTimeUnit: 'ms', otherData: { generator: 'fpga-llm-sim' } };
}
