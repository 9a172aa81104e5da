import type { BlockTable } from './kv-cache.js';
import { BlockHasher, type RequestSpec } from './request.js';

/*
 * A request inside the server: how many of its tokens have their KV cache
 * computed, how many it has generated, and the times the metrics need.
 */

export type SequenceStatus = 'waiting' | 'running' | 'finished';

export class Sequence implements BlockTable {
  readonly blocks: number[] = [];
  status: SequenceStatus = 'waiting';
  /** Tokens whose keys and values are in the cache. */
  computed = 0;
  generated = 0;
  /** When the client sent it, and when the server first scheduled it, ms. */
  readonly sentMs: number;
  scheduledMs: number | undefined;
  firstTokenMs: number | undefined;
  lastTokenMs: number | undefined;
  finishedMs: number | undefined;
  preemptions = 0;
  /** Prompt tokens served from the prefix cache, over every admission. */
  cachedTokens = 0;
  /** Gaps between consecutive tokens, ms. */
  readonly itlMs: number[] = [];
  readonly hasher: BlockHasher;

  constructor(
    readonly spec: RequestSpec,
    sentMs: number,
    blockTokens: number,
  ) {
    this.sentMs = sentMs;
    this.hasher = new BlockHasher(spec, blockTokens);
  }

  /** Tokens known: the prompt and what has been generated. */
  get known(): number {
    return this.spec.promptTokens + this.generated;
  }

  /** Tokens still to compute before the next token can be sampled. */
  get pending(): number {
    return this.known - this.computed;
  }

  get done(): boolean {
    return this.generated >= this.spec.outputTokens;
  }

  /** A token sampled at `atMs`. */
  emit(atMs: number): void {
    if (this.lastTokenMs !== undefined) this.itlMs.push(atMs - this.lastTokenMs);
    this.firstTokenMs ??= atMs;
    this.lastTokenMs = atMs;
    this.generated++;
  }
}
