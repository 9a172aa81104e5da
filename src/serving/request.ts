/*
 * What a client asks of the server: a prompt, how many tokens to generate,
 * and when. A prompt is a list of segments: literal token ids (from a trace
 * that carries them), or a run of tokens of some content whose words do not
 * matter, only which content it is (a shared system prompt, one turn of a
 * conversation, text no other request holds). Prefix caching compares
 * tokens by identity, so two prompts that start with the same segments
 * share their first blocks.
 */

export type Segment = { readonly ids: Int32Array } | { readonly content: number; readonly length: number };

export interface RequestSpec {
  readonly id: number;
  /** When the client sends it, ms from the start; for a follow-up, ms after the request it follows completes. */
  readonly arrivalMs: number;
  /** A follow-up in a conversation: sent once request `after` has completed. */
  readonly after?: number | undefined;
  readonly prompt: readonly Segment[];
  readonly promptTokens: number;
  readonly outputTokens: number;
  /** The tokens the request generates, where later prompts repeat them (a conversation's replies). */
  readonly output?: Segment | undefined;
  /** Where the request was read from (`trace.csv:17`), for error messages. */
  readonly origin?: string | undefined;
}

export function segmentLength(segment: Segment): number {
  return 'ids' in segment ? segment.ids.length : segment.length;
}

/** Identities of content tokens: negative, so they never equal a literal id. */
const OFFSET_BITS = 2 ** 21;

/** The identity of the token at `offset` in a segment. */
export function tokenIdentity(segment: Segment, offset: number): number {
  return 'ids' in segment ? segment.ids[offset]! : -(segment.content * OFFSET_BITS + offset + 1);
}

/** Content numbers at and above this are made per request for text nobody else holds. */
const UNIQUE_CONTENT_BASE = 2 ** 30;

/** Text of a request's prompt that no other request holds. */
export function uniquePrompt(id: number, length: number): Segment {
  return { content: UNIQUE_CONTENT_BASE + 2 * id, length };
}

/** What a request generates where nothing repeats it. */
export function uniqueOutput(id: number, length: number): Segment {
  return { content: UNIQUE_CONTENT_BASE + 2 * id + 1, length };
}

/**
 * Block hashes of a request's known tokens (prompt, then what it has
 * generated), one per full block, each chained to the one before: a block
 * hashes equal only where every token before it is equal too (as vLLM's
 * prefix cache hashes them).
 */
export class BlockHasher {
  private readonly hashes: number[] = [];
  private position = 0;
  private state = 0x811c9dc5;
  private stateHigh = 0x01000193;

  constructor(
    private readonly spec: RequestSpec,
    private readonly blockTokens: number,
  ) {}

  /** Hashes of the first `blocks` full blocks (computing only those not yet hashed). */
  upTo(blocks: number, knownTokens: number): readonly number[] {
    const full = Math.min(blocks, Math.floor(knownTokens / this.blockTokens));
    while (this.hashes.length < full) this.hashes.push(this.nextBlock());
    return this.hashes;
  }

  private nextBlock(): number {
    for (let i = 0; i < this.blockTokens; i++) this.mix(this.tokenAt(this.position++));
    // 53 bits of the two lanes: a JavaScript number, exact as a map key.
    return (this.stateHigh >>> 0) * 2 ** 21 + ((this.state >>> 0) & 0x1fffff);
  }

  private mix(token: number): void {
    const low = token | 0;
    const high = Math.floor(token / 2 ** 32) | 0;
    this.state = Math.imul(this.state ^ low, 0x01000193) ^ (this.stateHigh >>> 15);
    this.stateHigh = Math.imul(this.stateHigh ^ high ^ (this.state >>> 13), 0x5bd1e995);
  }

  private tokenAt(position: number): number {
    let offset = position;
    for (const segment of this.spec.prompt) {
      const length = segmentLength(segment);
      if (offset < length) return tokenIdentity(segment, offset);
      offset -= length;
    }
    const output = this.spec.output ?? uniqueOutput(this.spec.id, this.spec.outputTokens);
    return tokenIdentity(output, offset);
  }
}
