import type { Issue } from './errors.js';

/*
 * What one accelerator step computes: a batch of sequences, each adding
 * `newTokens` tokens to a KV cache that already holds `context` tokens. A
 * prompt is a sequence with context 0 (or a chunk of one with the earlier
 * chunks as context), a decode a sequence with one new token.
 *
 * FlightLLM's IR files are two single-sequence shapes of this:
 *   <model>_prefill_token_N: [{ newTokens: N, context: 0 }]
 *   <model>_decode_token_N:  [{ newTokens: 1, context: N - 1 }]
 * (decode_token_N is the step that brings the sequence to N tokens: the
 * cache holds N − 1, and attention runs over all N.)
 */

/**
 * Most sequences one step (a `step --seq` batch, a profiled case's batch)
 * may hold. Each is compiled and costed as rows of its own; vLLM's
 * --max-num-seqs defaults to 256 and the K100-AI report's largest client
 * count is 512, so 16,384 leaves room while a step of 10^8 sequences (which
 * ran for ten minutes before failing) is refused at once.
 */
export const MAX_BATCH_SEQUENCES = 16_384;

export interface SequenceShape {
  /** Tokens this step computes for the sequence (a prompt chunk, or 1 for a decode). */
  readonly newTokens: number;
  /** Tokens already in the sequence's KV cache. */
  readonly context: number;
}

export interface BatchShape {
  readonly sequences: readonly SequenceShape[];
}

/**
 * How a batch is lowered: in FlightLLM's own single-sequence form (its names,
 * its quirks), or as a batched step of ours.
 */
export type StepForm = { readonly kind: 'prefill'; readonly tokens: number } | { readonly kind: 'decode'; readonly tokens: number } | { readonly kind: 'batched' };

/** FlightLLM's prefill at `tokens`: one sequence, no context. */
export function prefillShape(tokens: number): BatchShape {
  return { sequences: [{ newTokens: tokens, context: 0 }] };
}

/** FlightLLM's decode at `tokens` (decode_token_N): one new token over a cache of N − 1. */
export function decodeShape(tokens: number): BatchShape {
  return { sequences: [{ newTokens: 1, context: tokens - 1 }] };
}

/** The form a batch is lowered in: FlightLLM's for its two shapes, ours otherwise. */
export function stepForm(batch: BatchShape): StepForm {
  const [only, ...rest] = batch.sequences;
  if (only === undefined || rest.length > 0) return { kind: 'batched' };
  // A one-token prompt has no FlightLLM form: its matrix-matrix layers would have one row.
  if (only.context === 0 && only.newTokens >= 2) return { kind: 'prefill', tokens: only.newTokens };
  if (only.newTokens === 1 && only.context >= 1) return { kind: 'decode', tokens: only.context + 1 };
  return { kind: 'batched' };
}

/** The step's form on hardware that does, or does not, lower lone prompts and decodes in FlightLLM's forms. */
export function stepFormOn(batch: BatchShape, target: { readonly flightllmForms: boolean }): StepForm {
  return target.flightllmForms ? stepForm(batch) : { kind: 'batched' };
}

/** Rows every token-wise layer of the step computes: the new tokens of all sequences. */
export function batchRows(batch: BatchShape): number {
  return batch.sequences.reduce((sum, s) => sum + s.newTokens, 0);
}

/** `1@1024 1@300 128@0` (new tokens @ context, per sequence). */
export function formatBatch(batch: BatchShape): string {
  return batch.sequences.map((s) => `${s.newTokens}@${s.context}`).join(' ');
}

/**
 * Every sequence that is not a positive whole number of new tokens over a
 * whole, non-negative context, or runs past `maxTokens` (`limit` names whose
 * limit that is, e.g. `vhk158's limit of 2048 tokens (sparsity.maxTokens)`).
 */
export function checkBatch(batch: BatchShape, maxTokens: number, limit = `the maximum of ${maxTokens} tokens`): Issue[] {
  const issues: Issue[] = [];
  if (batch.sequences.length === 0) issues.push({ path: 'sequences', message: 'a step needs at least one sequence' });
  if (batch.sequences.length > MAX_BATCH_SEQUENCES) issues.push({ path: 'sequences', message: `${batch.sequences.length} sequences: at most ${MAX_BATCH_SEQUENCES} are taken in one step (MAX_BATCH_SEQUENCES)` });
  batch.sequences.forEach((s, index) => {
    const path = `sequences[${index}]`;
    if (!Number.isInteger(s.newTokens) || s.newTokens < 1) issues.push({ path: `${path}.newTokens`, message: `expected a positive integer, got ${s.newTokens}` });
    else if (!Number.isInteger(s.context) || s.context < 0) issues.push({ path: `${path}.context`, message: `expected a non-negative integer, got ${s.context}` });
    else if (s.context + s.newTokens > maxTokens) issues.push({ path, message: `context ${s.context} + ${s.newTokens} new tokens = ${s.context + s.newTokens} exceeds ${limit}` });
  });
  return issues;
}
