/*
 * The paged KV cache: a fixed number of blocks of `blockTokens` tokens. A
 * sequence holds a list of blocks, one per `blockTokens` of its tokens. With
 * prefix caching, every full block is registered under the chained hash of
 * its tokens; a new sequence whose first blocks hash the same shares them
 * (and skips computing them), and a block no sequence holds stays cached,
 * evicted least recently freed first, until its room is needed.
 */

export interface KvCacheOptions {
  readonly blocks: number;
  readonly blockTokens: number;
  readonly prefixCaching: boolean;
}

/** What the KV manager needs to admit a sequence. */
export interface AdmissionRequest {
  /** Chained hashes of its leading full blocks that may be shared (the last known token is always computed). */
  readonly hashes: readonly number[];
  /** Its prompt's tokens, for the hit rate. */
  readonly promptTokens: number;
  /** Tokens known so far: the prompt, and the output before a preemption. */
  readonly knownTokens: number;
}

/** An admitted sequence: tokens the prefix cache supplies, and tokens it computes now. */
export interface Admission {
  readonly cachedTokens: number;
  readonly newTokens: number;
}

/** A holder of blocks: the block table of one sequence. */
export interface BlockTable {
  readonly blocks: number[];
}

const NONE = -1;

export class KvBlockManager {
  readonly blocks: number;
  readonly blockTokens: number;
  readonly prefixCaching: boolean;
  private readonly references: Int32Array;
  /** The hash a block is registered under, or NaN. */
  private readonly hashOf: Float64Array;
  private readonly cached = new Map<number, number>();
  /** Blocks never used or whose content was dropped. */
  private readonly free: number[] = [];
  /** Cached blocks no sequence holds, least recently freed first (a doubly linked list). */
  private readonly previous: Int32Array;
  private readonly next: Int32Array;
  private head = NONE;
  private tail = NONE;
  private evictable = 0;
  /** Prompt tokens of admitted sequences looked up in the cache, and those found there. */
  private queried = 0;
  private hits = 0;

  constructor(options: KvCacheOptions) {
    this.blocks = options.blocks;
    this.blockTokens = options.blockTokens;
    this.prefixCaching = options.prefixCaching;
    this.references = new Int32Array(this.blocks);
    this.hashOf = new Float64Array(this.blocks).fill(Number.NaN);
    this.previous = new Int32Array(this.blocks).fill(NONE);
    this.next = new Int32Array(this.blocks).fill(NONE);
    for (let block = this.blocks - 1; block >= 0; block--) this.free.push(block);
  }

  /** Blocks a sequence could still be given: free ones and cached ones no sequence holds. */
  available(): number {
    return this.free.length + this.evictable;
  }

  /** Blocks held by sequences. */
  used(): number {
    return this.blocks - this.available();
  }

  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockTokens);
  }

  /** Prompt tokens of admitted sequences looked up in the prefix cache, and those found there. */
  get prefixStats(): { readonly queriedTokens: number; readonly hitTokens: number } {
    return { queriedTokens: this.queried, hitTokens: this.hits };
  }

  /**
   * Admits a waiting sequence: finds how many of its leading full blocks
   * (given by their hashes) are cached, asks `tokensFor` how many of its
   * remaining tokens to compute now, and gives it blocks for them, the cached
   * ones shared. Undefined, changing nothing, when the blocks do not fit or
   * `tokensFor` declines (0 or fewer tokens); only admitted sequences count
   * toward the prefix-cache hit rate.
   */
  admit(table: BlockTable, request: AdmissionRequest, tokensFor: (pending: number) => number): Admission | undefined {
    const hits = this.prefixCaching ? this.leadingHits(request.hashes) : 0;
    const cachedTokens = hits * this.blockTokens;
    const newTokens = tokensFor(request.knownTokens - cachedTokens);
    if (newTokens <= 0) return undefined;
    if (!this.allocate(table, cachedTokens + newTokens, request.hashes.slice(0, hits))) return undefined;
    this.queried += request.promptTokens;
    this.hits += cachedTokens;
    return { cachedTokens, newTokens };
  }

  private leadingHits(hashes: readonly number[]): number {
    let hits = 0;
    while (hits < hashes.length && this.cached.has(hashes[hits]!)) hits++;
    return hits;
  }

  /**
   * Gives a sequence blocks for `tokens` tokens in all, the first `reuse`
   * of them the cached blocks of those hashes. False, changing nothing, when
   * too few blocks are left.
   */
  allocate(table: BlockTable, tokens: number, reuse: readonly number[] = []): boolean {
    const needed = this.blocksFor(tokens) - table.blocks.length;
    if (needed <= 0) return true;
    const reused = table.blocks.length === 0 ? reuse.map((hash) => this.cached.get(hash)!) : [];
    const fresh = needed - reused.length;
    const heldElsewhere = reused.filter((block) => this.references[block]! > 0).length;
    if (fresh > this.available() - (reused.length - heldElsewhere)) return false;
    for (const block of reused) this.hold(block);
    table.blocks.push(...reused);
    for (let i = 0; i < fresh; i++) table.blocks.push(this.takeFresh());
    return true;
  }

  /** Registers a sequence's full blocks under their hashes, so later prompts can share them. */
  register(table: BlockTable, hashes: readonly number[]): void {
    if (!this.prefixCaching) return;
    for (let i = 0; i < Math.min(hashes.length, table.blocks.length); i++) {
      const block = table.blocks[i]!;
      const hash = hashes[i]!;
      if (!Number.isNaN(this.hashOf[block]!) || this.cached.has(hash)) continue;
      this.hashOf[block] = hash;
      this.cached.set(hash, block);
    }
  }

  /** Returns a sequence's blocks: cached ones stay cached (last block first in line for eviction). */
  release(table: BlockTable): void {
    for (let i = table.blocks.length - 1; i >= 0; i--) {
      const block = table.blocks[i]!;
      this.references[block]! -= 1;
      if (this.references[block]! > 0) continue;
      if (Number.isNaN(this.hashOf[block]!)) this.free.push(block);
      else this.append(block);
    }
    table.blocks.length = 0;
  }

  private hold(block: number): void {
    if (this.references[block] === 0) this.unlink(block);
    this.references[block]! += 1;
  }

  /** A block for new tokens: a free one, else the least recently freed cached one, forgotten. */
  private takeFresh(): number {
    let block = this.free.pop();
    if (block === undefined) {
      block = this.head;
      this.unlink(block);
      this.cached.delete(this.hashOf[block]!);
      this.hashOf[block] = Number.NaN;
    }
    this.references[block] = 1;
    return block;
  }

  private append(block: number): void {
    this.previous[block] = this.tail;
    this.next[block] = NONE;
    if (this.tail === NONE) this.head = block;
    else this.next[this.tail] = block;
    this.tail = block;
    this.evictable++;
  }

  private unlink(block: number): void {
    const [before, after] = [this.previous[block]!, this.next[block]!];
    if (before === NONE) this.head = after;
    else this.next[before] = after;
    if (after === NONE) this.tail = before;
    else this.previous[after] = before;
    this.previous[block] = this.next[block] = NONE;
    this.evictable--;
  }
}
