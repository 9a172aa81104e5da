import type { KvBlockManager } from './kv-cache.js';
import type { SchedulerView } from './policies.js';
import type { Sequence } from './sequence.js';

/*
 * The server's queues as a batch policy sees and changes them: requests
 * waiting and running, and the three things a policy may do to them
 * (admit the first waiting one, give a running one more blocks, preempt
 * one). The KV manager decides what fits and what the prefix cache holds;
 * the event loop (loop.ts) owns time and moves requests in and out.
 */
export class SchedulerState implements SchedulerView {
  readonly waiting: Sequence[] = [];
  readonly running: Sequence[] = [];

  constructor(
    readonly kv: KvBlockManager,
    private readonly clock: { readonly nowMs: number },
  ) {}

  get nowMs(): number {
    return this.clock.nowMs;
  }

  admitFirst(tokensFor: (pending: number) => number): number | undefined {
    const sequence = this.waiting[0]!;
    const admission = this.kv.admit(sequence, { hashes: this.shareableHashes(sequence), promptTokens: sequence.spec.promptTokens, knownTokens: sequence.known }, tokensFor);
    if (admission === undefined) return undefined;
    this.waiting.shift();
    sequence.status = 'running';
    sequence.computed = admission.cachedTokens;
    sequence.cachedTokens += admission.cachedTokens;
    sequence.scheduledMs ??= this.nowMs;
    this.running.push(sequence);
    return admission.newTokens;
  }

  grow(sequence: Sequence, newTokens: number): boolean {
    return this.kv.allocate(sequence, sequence.computed + newTokens);
  }

  preempt(sequence: Sequence): void {
    this.kv.release(sequence);
    sequence.status = 'waiting';
    sequence.computed = 0;
    sequence.preemptions++;
    this.running.splice(this.running.indexOf(sequence), 1);
    this.waiting.unshift(sequence);
  }

  /** Removes a finished sequence and returns its blocks. */
  finish(sequence: Sequence, atMs: number): void {
    sequence.status = 'finished';
    sequence.finishedMs = atMs;
    this.running.splice(this.running.indexOf(sequence), 1);
    this.kv.release(sequence);
  }

  /** Hashes of the full blocks a sequence may take from the prefix cache: all but the one holding its last known token. */
  private shareableHashes(sequence: Sequence): readonly number[] {
    if (!this.kv.prefixCaching) return [];
    return sequence.hasher.upTo(Math.floor((sequence.known - 1) / this.kv.blockTokens), sequence.known);
  }
}
