import type { BatchShape } from '../batch.js';
import { UsageError } from '../errors.js';
import type { KvBlockManager } from './kv-cache.js';
import type { Sequence } from './sequence.js';

/*
 * Batch policies: which sequences the next step runs, and how many tokens
 * of each. The event loop (loop.ts) owns time and the queues; a policy only
 * decides, through the view the loop gives it, and may admit waiting
 * requests, give running ones more KV blocks, or preempt them.
 */

export interface SchedulerView {
  readonly nowMs: number;
  /** Requests the server has received and not yet admitted, first come first. */
  readonly waiting: readonly Sequence[];
  readonly running: readonly Sequence[];
  readonly kv: KvBlockManager;
  /**
   * Admits the first waiting request to compute up to `newTokens` of its
   * pending tokens (after those the prefix cache holds): false, changing
   * nothing, when its KV blocks do not fit. Returns the tokens it will compute.
   */
  admitFirst(newTokens: (pending: number) => number): number | undefined;
  /** Gives a running sequence KV blocks for `newTokens` more tokens; false when they do not fit. */
  grow(sequence: Sequence, newTokens: number): boolean;
  /** Frees a running sequence's blocks and returns it to the front of the queue; it will compute everything again. */
  preempt(sequence: Sequence): void;
}

/** One step's work, and the batch it costs where the policy pads it. */
export interface ScheduledStep {
  readonly work: ReadonlyArray<{ readonly sequence: Sequence; readonly newTokens: number }>;
  readonly costBatch?: BatchShape | undefined;
}

export interface BatchPolicy {
  readonly name: string;
  schedule(view: SchedulerView): ScheduledStep | undefined;
  /** The sequences that complete now: those done, or (static batches) all of them once all are done. */
  completed(running: readonly Sequence[]): Sequence[];
}

export interface PolicyOptions {
  /** vLLM's --max-num-seqs: sequences in a step (the batch size of static batches). */
  readonly maxNumSeqs: number;
  /** vLLM's --max-num-batched-tokens: tokens a step computes. */
  readonly maxNumBatchedTokens: number;
  /** vLLM's --enable-chunked-prefill: prompts split to fill the token budget, beside running decodes. */
  readonly enableChunkedPrefill: boolean;
  /** Token multiples FlightLLM pads lengths to (the sequential policy costs its steps padded). */
  readonly padTokens: { readonly prefill: number; readonly decode: number };
  /** The longest sequence the model takes. */
  readonly maxTokens: number;
  /**
   * Admit a request only when the KV blocks for its whole length are free
   * beside what the running ones will still need, so that none is ever
   * preempted (TensorRT-LLM's GUARANTEED_NO_EVICT); otherwise blocks are
   * taken as tokens come and the newest request is preempted when they run out (vLLM).
   */
  readonly guaranteeNoEvict?: boolean | undefined;
}

export const POLICY_NAMES = ['vllm', 'static', 'sequential'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function createPolicy(name: PolicyName, options: PolicyOptions): BatchPolicy {
  if (name === 'vllm') return vllmPolicy(options);
  if (name === 'static') return staticPolicy(options);
  return sequentialPolicy(options);
}

const doneOnes = (running: readonly Sequence[]) => running.filter((s) => s.done);

/**
 * vLLM's continuous batching. With chunked prefill: running sequences first
 * (a decode takes one token, a prompt in progress its next chunk), then
 * waiting requests first come first served, prompts chunked to fill the
 * token budget. Without: a step of whole prompts whenever one is waiting and
 * fits, else a step of every running decode. A sequence that cannot get a
 * block preempts the latest admitted one (recomputed later).
 */
function vllmPolicy(options: PolicyOptions): BatchPolicy {
  if (!options.enableChunkedPrefill && options.maxNumBatchedTokens < options.maxTokens) {
    throw new UsageError({
      what: `--max-num-batched-tokens ${options.maxNumBatchedTokens} is shorter than the longest sequence (${options.maxTokens} tokens)`,
      detail: 'without chunked prefill a whole prompt must fit in one step: raise it or pass --enable-chunked-prefill.',
    });
  }
  return {
    name: 'vllm',
    schedule: (view) => (options.enableChunkedPrefill ? chunkedStep(view, options) : prefillFirstStep(view, options)),
    completed: doneOnes,
  };
}

function chunkedStep(view: SchedulerView, options: PolicyOptions): ScheduledStep | undefined {
  let budget = options.maxNumBatchedTokens;
  const work: Array<{ sequence: Sequence; newTokens: number }> = [];
  const preempted = scheduleRunning(view, work, (s) => Math.min(s.pending, budget), (n) => (budget -= n));
  while (!preempted && budget > 0 && view.waiting.length > 0 && view.running.length < options.maxNumSeqs && admissible(view, options)) {
    const sequence = view.waiting[0]!;
    const newTokens = view.admitFirst((pending) => Math.min(pending, budget));
    if (newTokens === undefined) break;
    work.push({ sequence, newTokens });
    budget -= newTokens;
  }
  return work.length === 0 ? undefined : { work };
}

function prefillFirstStep(view: SchedulerView, options: PolicyOptions): ScheduledStep | undefined {
  let budget = options.maxNumBatchedTokens;
  const work: Array<{ sequence: Sequence; newTokens: number }> = [];
  while (view.waiting.length > 0 && view.running.length < options.maxNumSeqs && admissible(view, options)) {
    const sequence = view.waiting[0]!;
    const newTokens = view.admitFirst((pending) => (pending <= budget ? pending : 0));
    if (newTokens === undefined || newTokens === 0) break;
    work.push({ sequence, newTokens });
    budget -= newTokens;
  }
  if (work.length > 0) return { work };
  scheduleRunning(view, work, (s) => s.pending, () => undefined);
  return work.length === 0 ? undefined : { work };
}

/** Whether the first waiting request may be admitted: always, or with guaranteeNoEvict only when its whole length fits beside the running requests' remaining needs. */
function admissible(view: SchedulerView, options: PolicyOptions): boolean {
  if (options.guaranteeNoEvict !== true) return true;
  const wholeBlocks = (s: Sequence) => view.kv.blocksFor(s.spec.promptTokens + s.spec.outputTokens);
  const stillNeeded = view.running.reduce((sum, s) => sum + Math.max(0, wholeBlocks(s) - s.blocks.length), 0);
  return view.kv.available() - stillNeeded >= wholeBlocks(view.waiting[0]!);
}

/**
 * Running sequences in order, each with the tokens `take` gives it, growing
 * their blocks and preempting from the back when blocks run out. True when
 * anything was preempted (no new request is admitted in such a step).
 */
function scheduleRunning(
  view: SchedulerView,
  work: Array<{ sequence: Sequence; newTokens: number }>,
  take: (s: Sequence) => number,
  spend: (n: number) => void,
): boolean {
  let preempted = false;
  for (const sequence of [...view.running]) {
    if (sequence.status !== 'running') continue;
    const newTokens = take(sequence);
    if (newTokens <= 0) break;
    while (!view.grow(sequence, newTokens)) {
      const victim = view.running.at(-1)!;
      view.preempt(victim);
      preempted = true;
      if (victim === sequence) break;
    }
    if (sequence.status !== 'running') continue;
    work.push({ sequence, newTokens });
    spend(newTokens);
  }
  return preempted;
}

/**
 * Static batches, as Hugging Face `generate` runs them: up to max-num-seqs
 * requests start together, prompts padded to the longest, and every step
 * runs the whole batch (finished sequences as padding) until the longest
 * output is done; the batch returns together.
 */
function staticPolicy(options: PolicyOptions): BatchPolicy {
  let padded = 0;
  return {
    name: 'static',
    schedule(view) {
      if (view.running.length === 0) {
        const work: Array<{ sequence: Sequence; newTokens: number }> = [];
        while (view.waiting.length > 0 && work.length < options.maxNumSeqs) {
          const sequence = view.waiting[0]!;
          const newTokens = view.admitFirst((pending) => pending);
          if (newTokens === undefined) break;
          work.push({ sequence, newTokens });
        }
        if (work.length === 0) return undefined;
        padded = Math.max(...work.map((w) => w.sequence.known));
        return { work, costBatch: { sequences: work.map(() => ({ newTokens: padded, context: 0 })) } };
      }
      const live = view.running.filter((s) => !s.done);
      if (live.length === 0) return undefined;
      const work = live.map((sequence) => ({ sequence, newTokens: 1 }));
      for (const { sequence } of work) if (!view.grow(sequence, 1)) throw new UsageError({ what: 'a static batch ran out of KV-cache blocks', detail: `lower --max-num-seqs (${options.maxNumSeqs}) or the lengths.` });
      const context = padded++;
      return { work, costBatch: { sequences: view.running.map(() => ({ newTokens: 1, context })) } };
    },
    completed: (running) => (running.every((s) => s.done) ? [...running] : []),
  };
}

/**
 * One request at a time, as FlightLLM's paper measures: its whole prompt,
 * then one decode step per token, each costed at FlightLLM's padded lengths.
 */
function sequentialPolicy(options: PolicyOptions): BatchPolicy {
  const pad = (tokens: number, unit: number) => Math.ceil(tokens / unit) * unit;
  return {
    name: 'sequential',
    schedule(view) {
      const current = view.running[0];
      if (current === undefined) {
        const sequence = view.waiting[0];
        if (sequence === undefined) return undefined;
        const newTokens = view.admitFirst((pending) => pending);
        if (newTokens === undefined) return undefined;
        // Its prompt at FlightLLM's padded length (a prefix-cache hit would be context; this policy has no cache).
        return { work: [{ sequence, newTokens }], costBatch: { sequences: [{ newTokens: pad(newTokens, options.padTokens.prefill), context: sequence.computed }] } };
      }
      if (!view.grow(current, 1)) return undefined;
      return { work: [{ sequence: current, newTokens: 1 }], costBatch: { sequences: [{ newTokens: 1, context: pad(current.computed + 1, options.padTokens.decode) - 1 }] } };
    },
    completed: doneOnes,
  };
}
