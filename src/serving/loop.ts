import type { BatchShape } from '../batch.js';
import type { StepCost } from '../cost/index.js';
import { UserError } from '../errors.js';
import type { KvBlockManager } from './kv-cache.js';
import type { BatchPolicy, ScheduledStep, SchedulerView } from './policies.js';
import type { RequestSpec } from './request.js';
import { Sequence } from './sequence.js';

/*
 * The event loop: time moves from step to step by what each step costs.
 * Clients send requests (at most `maxConcurrency` in flight; a follow-up
 * once the request it follows is complete), the server queues them, the
 * policy forms each step, the step's tokens appear when it ends, and
 * completed requests free their KV blocks and their client's slot.
 */

export interface LoopOptions {
  readonly requests: readonly RequestSpec[];
  readonly policy: BatchPolicy;
  readonly kv: KvBlockManager;
  /** What a step costs. */
  readonly cost: (batch: BatchShape) => StepCost;
  readonly maxConcurrency: number;
  /** Called when a request completes. */
  readonly onComplete: (sequence: Sequence) => void;
  /** Called after every step. */
  readonly onStep?: ((step: StepRecord) => void) | undefined;
}

/** One step as it ran. */
export interface StepRecord {
  readonly startMs: number;
  readonly endMs: number;
  readonly batch: BatchShape;
  /** Request ids, in the batch's order, with the tokens each computed. */
  readonly work: ReadonlyArray<{ readonly id: number; readonly newTokens: number }>;
  readonly cost: StepCost;
  /** KV blocks held by sequences when the step ran. */
  readonly kvBlocksUsed: number;
}

export interface LoopTotals {
  /** When the last request completed, ms. */
  readonly durationMs: number;
  /** The time integral of requests in the system (sent, not completed), request·ms. */
  readonly requestMs: number;
  readonly steps: number;
  /** The most requests in the system at once. */
  readonly peakConcurrency: number;
  /** Time integral and peak of KV blocks held. */
  readonly kvBlockMs: number;
  readonly peakKvBlocks: number;
  /** Busy time of each module and the bound, summed over steps. */
  readonly busyMs: Readonly<Record<string, number>>;
  readonly boundMs: number;
  /** Time steps ran, ms (the rest of the duration the board idles). */
  readonly stepMs: number;
  /** Energy of the steps, J; undefined where the board describes no energy. */
  readonly stepJoules: number | undefined;
}

export function runLoop(options: LoopOptions): LoopTotals {
  return new Loop(options).run();
}

class Loop implements SchedulerView {
  nowMs = 0;
  readonly waiting: Sequence[] = [];
  readonly running: Sequence[] = [];
  readonly kv: KvBlockManager;
  /** Requests the clients will send, by the time they want to; follow-ups join when their turn comes. */
  private readonly upcoming: Array<{ spec: RequestSpec; atMs: number }> = [];
  private readonly followUps = new Map<number, RequestSpec[]>();
  /** When each free client slot became free. */
  private readonly freeSlots: number[] = [];
  private inSystem = 0;
  private completed = 0;
  private readonly totals = { requestMs: 0, steps: 0, peakConcurrency: 0, kvBlockMs: 0, peakKvBlocks: 0, boundMs: 0, busyMs: {} as Record<string, number>, stepMs: 0, stepJoules: undefined as number | undefined };

  constructor(private readonly options: LoopOptions) {
    this.kv = options.kv;
    for (const spec of options.requests) {
      if (spec.after === undefined) this.upcoming.push({ spec, atMs: spec.arrivalMs });
      else this.followUps.set(spec.after, [...(this.followUps.get(spec.after) ?? []), spec]);
    }
    this.upcoming.sort((a, b) => a.atMs - b.atMs || a.spec.id - b.spec.id);
    const slots = Math.min(options.maxConcurrency, options.requests.length);
    for (let i = 0; i < slots; i++) this.freeSlots.push(0);
  }

  run(): LoopTotals {
    const total = this.options.requests.length;
    while (this.completed < total) {
      this.deliver();
      const step = this.options.policy.schedule(this);
      if (step === undefined) this.idle();
      else this.execute(step);
    }
    return { durationMs: this.nowMs, ...this.totals };
  }

  /** Requests whose time has come and that have a client slot enter the server's queue. */
  private deliver(): void {
    while (this.upcoming.length > 0 && this.freeSlots.length > 0 && this.upcoming[0]!.atMs <= this.nowMs) {
      const { spec, atMs } = this.upcoming.shift()!;
      const sentMs = Math.max(atMs, this.freeSlots.shift()!);
      // A request sent during the last step has been in the system since it was sent.
      this.totals.requestMs += this.nowMs - sentMs;
      this.changeInSystem(+1);
      this.waiting.push(new Sequence(spec, sentMs, this.kv.blockTokens));
    }
  }

  /** Nothing can run: wait for the next request, or report a request that can never run. */
  private idle(): void {
    const next = this.upcoming[0];
    if (this.running.length === 0 && this.waiting.length === 0 && next !== undefined) {
      this.advance(Math.max(this.nowMs, next.atMs));
      return;
    }
    const stuck = this.waiting[0];
    throw new UserError({
      what: 'the server cannot make progress',
      detail: stuck === undefined ? 'no request can be scheduled.' : `request ${stuck.spec.id} (${stuck.spec.promptTokens} prompt tokens) cannot get KV-cache blocks or a place in a step even with nothing else running.`,
    });
  }

  private execute(step: ScheduledStep): void {
    const batch = step.costBatch ?? { sequences: step.work.map((w) => ({ newTokens: w.newTokens, context: w.sequence.computed })) };
    const cost = this.options.cost(batch);
    const startMs = this.nowMs;
    const kvBlocksUsed = this.kv.used();
    this.totals.kvBlockMs += kvBlocksUsed * cost.totalMs;
    this.totals.peakKvBlocks = Math.max(this.totals.peakKvBlocks, kvBlocksUsed);
    this.totals.boundMs += cost.boundMs;
    this.totals.stepMs += cost.totalMs;
    if (cost.energy !== undefined) this.totals.stepJoules = (this.totals.stepJoules ?? 0) + cost.energy.joules;
    for (const [name, busy] of Object.entries(cost.modules)) this.totals.busyMs[name] = (this.totals.busyMs[name] ?? 0) + busy;
    this.totals.steps++;
    this.advance(startMs + cost.totalMs);
    for (const { sequence, newTokens } of step.work) this.progress(sequence, newTokens);
    this.options.onStep?.({ startMs, endMs: this.nowMs, batch, work: step.work.map((w) => ({ id: w.sequence.spec.id, newTokens: w.newTokens })), cost, kvBlocksUsed });
    for (const sequence of this.options.policy.completed(this.running)) this.complete(sequence);
  }

  /** A sequence computed `newTokens` more tokens; the step that computes its last pending token samples the next. */
  private progress(sequence: Sequence, newTokens: number): void {
    sequence.computed += newTokens;
    if (sequence.computed === sequence.known && !sequence.done) sequence.emit(this.nowMs);
    if (this.kv.prefixCaching) this.kv.register(sequence, sequence.hasher.upTo(sequence.blocks.length, sequence.computed));
  }

  private complete(sequence: Sequence): void {
    sequence.status = 'finished';
    sequence.finishedMs = this.nowMs;
    this.running.splice(this.running.indexOf(sequence), 1);
    this.kv.release(sequence);
    this.changeInSystem(-1);
    this.completed++;
    this.freeSlots.push(this.nowMs);
    for (const next of this.followUps.get(sequence.spec.id) ?? []) this.insertUpcoming({ spec: next, atMs: this.nowMs + next.arrivalMs });
    this.followUps.delete(sequence.spec.id);
    this.options.onComplete(sequence);
  }

  private insertUpcoming(entry: { spec: RequestSpec; atMs: number }): void {
    let at = this.upcoming.length;
    while (at > 0 && this.upcoming[at - 1]!.atMs > entry.atMs) at--;
    this.upcoming.splice(at, 0, entry);
  }

  private advance(toMs: number): void {
    this.totals.requestMs += this.inSystem * (toMs - this.nowMs);
    this.nowMs = toMs;
  }

  private changeInSystem(delta: number): void {
    this.inSystem += delta;
    this.totals.peakConcurrency = Math.max(this.totals.peakConcurrency, this.inSystem);
  }

  // The policy's view.

  admitFirst(newTokens: (pending: number) => number): number | undefined {
    const sequence = this.waiting[0]!;
    // At least the last known token is computed, whatever the cache holds.
    const hashes = this.kv.prefixCaching ? sequence.hasher.upTo(Math.floor((sequence.known - 1) / this.kv.blockTokens), sequence.known) : [];
    const hits = this.kv.cachedBlocks(hashes, sequence.spec.promptTokens);
    const cached = hits * this.kv.blockTokens;
    const tokens = newTokens(sequence.known - cached);
    if (tokens <= 0) return tokens;
    if (!this.kv.allocate(sequence, cached + tokens, hashes.slice(0, hits))) {
      // Not admitted after all: its lookup does not count.
      this.kv.queriedTokens -= sequence.spec.promptTokens;
      this.kv.hitTokens -= cached;
      return undefined;
    }
    this.waiting.shift();
    sequence.status = 'running';
    sequence.computed = cached;
    sequence.cachedTokens += cached;
    sequence.scheduledMs ??= this.nowMs;
    this.running.push(sequence);
    return tokens;
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
}
