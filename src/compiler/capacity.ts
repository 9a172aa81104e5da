import type { BatchShape } from '../batch.js';
import { bytesOf, dtypeBits } from '../dtype.js';
import { ModelError } from '../errors.js';
import { modelDims, type Model } from '../model/index.js';
import { compileModel, gib, maxTokensOf } from './compile.js';
import type { CompileTarget, MemoryPool } from './target.js';

/*
 * How much KV cache a deployment can hold for serving: what is left of the
 * memory that holds the cache once the weights and the activation slots of
 * the largest step are placed, in blocks of `kvCache.blockTokens` tokens
 * (vLLM's paged blocks).
 */

export interface KvCapacity {
  /** The memory that holds the KV cache. */
  readonly pool: MemoryPool;
  readonly weightBytes: number;
  /** Activation slots reserved for the largest step, in the KV cache's memory (0 where activations live elsewhere). */
  readonly activationBytes: number;
  /** Weights in the KV cache's memory (0 where weights live elsewhere). */
  readonly weightBytesInPool: number;
  /** Key and value bytes of one token over every layer. */
  readonly bytesPerToken: number;
  readonly blockTokens: number;
  readonly blockBytes: number;
  /** Bytes left for the KV cache. */
  readonly freeBytes: number;
  readonly blocks: number;
  /** blocks × blockTokens. */
  readonly tokens: number;
  /** Rows of the largest step the activation slots are reserved for. */
  readonly maxBatchedTokens: number;
}

export interface PlanMemoryOptions {
  /** Rows of the largest step the server schedules (vLLM's max_num_batched_tokens); default 2048, as vLLM's, or the longest sequence if shorter. */
  readonly maxBatchedTokens?: number | undefined;
}

/** vLLM's default --max-num-batched-tokens. */
export const DEFAULT_MAX_BATCHED_TOKENS = 2048;

/**
 * The KV capacity of a model on a board. Activation slots are reserved for a
 * step of `maxBatchedTokens` rows: every token-wise activation and the
 * logits for that many rows, and, where attention writes its scores to
 * memory, the scores of that many rows over the longest context (where they
 * stay on chip, none: the lowering leaves them out of the plan). Refuses,
 * with the numbers, a model that leaves no room for one block.
 */
export function planMemory(model: Model, target: CompileTarget, options: PlanMemoryOptions = {}): KvCapacity {
  const maxTokens = maxTokensOf(model, target);
  const rows = Math.min(options.maxBatchedTokens ?? DEFAULT_MAX_BATCHED_TOKENS, maxTokens);
  const pool = target.memory.find((p) => p.holds.includes('kvCache'))!;
  // FlightLLM's prefill form at `rows` sizes every slot for that many rows, logits included.
  const { memory } = compileModel(model, { stage: 'prefill', tokens: Math.max(rows, 2), target, pad: false });
  const d = modelDims(model);
  const activationBits = dtypeBits(model.mapping.precision.activations);
  // Scores of the step's rows over the rest of the longest context, where attention writes them out.
  const longerContext = target.scoresStayOnChip === true ? 0 : 2 * bytesOf(d.heads * rows * (maxTokens - rows), activationBits);
  const activationBytes = pool.holds.includes('activations') ? memory.activationBytes + longerContext : 0;
  const weightBytesInPool = pool.holds.includes('weights') ? memory.weightBytes : 0;
  const kvBits = dtypeBits(model.mapping.precision.kvCache);
  // A key and a value per layer, or latent attention's one compressed vector.
  const bytesPerToken = d.latent === undefined ? 2 * d.layers * bytesOf(d.kvHeads * d.headDim, kvBits) : d.layers * bytesOf(d.kvElementsPerToken, kvBits);
  const blockTokens = target.kvBlockTokens;
  const blockBytes = blockTokens * bytesPerToken;
  const freeBytes = (pool.capacityBytes - weightBytesInPool - activationBytes) * (pool.kvShareOfFree ?? 1);
  const blocks = Math.max(0, Math.floor(freeBytes / blockBytes));
  const capacity = { pool, weightBytes: memory.weightBytes, activationBytes, weightBytesInPool, bytesPerToken, blockTokens, blockBytes, freeBytes, blocks, tokens: blocks * blockTokens, maxBatchedTokens: rows };
  if (blocks === 0) throw new ModelError({ what: `${model.displayName ?? model.name} leaves no room for a KV cache in ${pool.name} of ${target.boardName}`, detail: `${describe(capacity)}.` });
  return capacity;
}

/** Blocks a batch's sequences hold once the step has appended its tokens. */
export function blocksOf(batch: BatchShape, blockTokens: number): number {
  return batch.sequences.reduce((sum, s) => sum + Math.ceil((s.context + s.newTokens) / blockTokens), 0);
}

/** Refuses a batch whose KV cache exceeds the capacity, with the numbers. */
export function checkKvFits(batch: BatchShape, capacity: KvCapacity, modelName: string): void {
  const needed = blocksOf(batch, capacity.blockTokens);
  if (needed <= capacity.blocks) return;
  throw new ModelError({
    what: `the KV cache of this batch does not fit in ${capacity.pool.name}`,
    detail: `its ${batch.sequences.length} sequences need ${needed} blocks of ${capacity.blockTokens} tokens (${gib(needed * capacity.blockBytes)}), and ${modelName} leaves ${capacity.blocks} blocks (${capacity.tokens} tokens): ${describe(capacity)}.`,
  });
}

function describe(capacity: KvCapacity): string {
  const parts = [capacity.weightBytesInPool > 0 ? `${gib(capacity.weightBytesInPool)} of weights` : undefined, capacity.activationBytes > 0 ? `${gib(capacity.activationBytes)} of activations for steps of ${capacity.maxBatchedTokens} rows` : undefined].filter((p) => p !== undefined);
  return `${capacity.pool.name} holds ${gib(capacity.pool.capacityBytes)} (${capacity.pool.field})${parts.length > 0 ? `, less ${parts.join(' and ')}` : ''}, leaving ${gib(Math.max(0, capacity.freeBytes))} at ${(capacity.bytesPerToken / 1024).toFixed(0)} KiB per token`;
}
