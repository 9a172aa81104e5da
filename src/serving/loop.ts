import type { BatchShape } from '../batch.js';
import type { StepCost } from '../cost/index.js';
import { UserError } from '../errors.js';
import { MetricsCollector, type LoopTotals } from './collector.js';
import { MAX_SERVING_TIME_MS } from './limits.js';
import type { KvBlockManager } from './kv-cache.js';
import type { BatchPolicy, ScheduledStep } from './policies.js';
import type { RequestSpec } from './request.js';
import type { ReplicaRouter } from './router.js';
import { SchedulerState } from './scheduler.js';
import { Sequence } from './sequence.js';

/*
 * The event loop: time moves from step to step by what each step costs.
 * Clients send requests (at most `maxConcurrency` in flight; a follow-up
 * once the request it follows is complete), the server queues them, the
 * policy forms each step, the step's tokens appear when it ends, and
 * completed requests free their KV blocks and their client's slot. The
 * queues the policy works on are the scheduler's (scheduler.ts); the totals
 * the run reports are the collector's (collector.ts).
 *
 * With data parallelism several replicas serve at once, each with its own
 * queues, KV cache and steps, the same policy forming each one's steps; a
 * router sends each request to a replica when it enters the system. Time
 * then moves to the next event: a replica's step ending, or a request
 * arriving while a replica is idle.
 */

export interface LoopOptions {
  readonly requests: readonly RequestSpec[];
  readonly policy: BatchPolicy;
  readonly kv: KvBlockManager;
  /** Data parallelism: every replica's KV cache (replacing `kv`), and the router that spreads requests over them. */
  readonly replicas?: { readonly kv: readonly KvBlockManager[]; readonly router: ReplicaRouter } | undefined;
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
  /** KV blocks held by sequences (of its replica) when the step ran. */
  readonly kvBlocksUsed: number;
  /** The replica that ran it (0 without data parallelism). */
  readonly replica: number;
}

export function runLoop(options: LoopOptions): LoopTotals {
  return new Loop(options).run();
}

/** One replica's server: its queues, its KV cache, and the step it is running. */
interface Server {
  readonly index: number;
  readonly kv: KvBlockManager;
  readonly queues: SchedulerState;
  running: { readonly step: ScheduledStep; readonly batch: BatchShape; readonly cost: StepCost; readonly startMs: number; readonly endMs: number; readonly kvBlocksUsed: number } | undefined;
}

class Loop {
  nowMs = 0;
  private readonly servers: Server[];
  private readonly metrics = new MetricsCollector();
  /** Requests the clients will send, by the time they want to; follow-ups join when their turn comes. */
  private readonly upcoming: Array<{ spec: RequestSpec; atMs: number }> = [];
  private readonly followUps = new Map<number, RequestSpec[]>();
  /** When each free client slot became free. */
  private readonly freeSlots: number[] = [];
  private completed = 0;

  constructor(private readonly options: LoopOptions) {
    const caches = options.replicas?.kv ?? [options.kv];
    this.servers = caches.map((kv, index) => ({ index, kv, queues: new SchedulerState(kv, this), running: undefined }));
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
      for (const server of this.servers) if (server.running === undefined) this.start(server);
      const busy = this.servers.filter((server) => server.running !== undefined);
      if (busy.length === 0) this.idle();
      else this.next(busy);
    }
    return this.metrics.totals(this.nowMs);
  }

  /** Requests whose time has come and that have a client slot enter the system, at the replica the router picks. */
  private deliver(): void {
    while (this.upcoming.length > 0 && this.freeSlots.length > 0 && this.upcoming[0]!.atMs <= this.nowMs) {
      const { spec, atMs } = this.upcoming.shift()!;
      const sentMs = Math.max(atMs, this.freeSlots.shift()!);
      this.metrics.enter(sentMs, this.nowMs);
      this.serverFor(spec).queues.waiting.push(new Sequence(spec, sentMs, this.options.kv.blockTokens));
    }
  }

  private serverFor(spec: RequestSpec): Server {
    if (this.servers.length === 1) return this.servers[0]!;
    const loads = this.servers.map((server) => ({ replica: server.index, waiting: server.queues.waiting.length, running: server.queues.running.length }));
    const chosen = this.options.replicas!.router.route(spec, loads);
    const server = this.servers[chosen];
    if (server === undefined) throw new UserError({ what: `router ${this.options.replicas!.router.name} chose replica ${chosen}`, detail: `there are replicas 0 to ${this.servers.length - 1}.` });
    return server;
  }

  /** Nothing runs anywhere: wait for the next request, or report a request that can never run. */
  private idle(): void {
    const next = this.upcoming[0];
    const queued = this.servers.some((server) => server.queues.running.length > 0 || server.queues.waiting.length > 0);
    if (!queued && next !== undefined) {
      this.advance(Math.max(this.nowMs, next.atMs));
      return;
    }
    const stuck = this.servers.find((server) => server.queues.waiting.length > 0)?.queues.waiting[0];
    throw new UserError({
      what: 'the server cannot make progress',
      detail: stuck === undefined ? 'no request can be scheduled.' : `request ${stuck.spec.id} (${stuck.spec.promptTokens} prompt tokens) cannot get KV-cache blocks or a place in a step even with nothing else running.`,
    });
  }

  /** The replica's policy forms its next step, if it has work; the step's cost says when it ends. */
  private start(server: Server): void {
    const step = this.options.policy.schedule(server.queues);
    if (step === undefined) return;
    const batch = step.costBatch ?? { sequences: step.work.map((w) => ({ newTokens: w.newTokens, context: w.sequence.computed })) };
    const cost = this.options.cost(batch);
    const kvBlocksUsed = server.kv.used();
    this.metrics.step(cost, kvBlocksUsed);
    server.running = { step, batch, cost, startMs: this.nowMs, endMs: this.nowMs + cost.totalMs, kvBlocksUsed };
  }

  /** Time moves to the next event: the first step to end, or a request arriving while a replica is idle. */
  private next(busy: readonly Server[]): void {
    const endMs = Math.min(...busy.map((server) => server.running!.endMs));
    const arrival = this.upcoming[0];
    if (busy.length < this.servers.length && arrival !== undefined && this.freeSlots.length > 0 && arrival.atMs < endMs) {
      this.advance(Math.max(this.nowMs, arrival.atMs));
      return;
    }
    this.advance(endMs);
    for (const server of busy) if (server.running!.endMs === endMs) this.finish(server);
  }

  private finish(server: Server): void {
    const { step, batch, cost, startMs, kvBlocksUsed } = server.running!;
    server.running = undefined;
    for (const { sequence, newTokens } of step.work) this.progress(server.kv, sequence, newTokens);
    this.options.onStep?.({ startMs, endMs: this.nowMs, batch, work: step.work.map((w) => ({ id: w.sequence.spec.id, newTokens: w.newTokens })), cost, kvBlocksUsed, replica: server.index });
    for (const sequence of this.options.policy.completed(server.queues.running)) this.complete(server, sequence);
  }

  /** A sequence computed `newTokens` more tokens; the step that computes its last pending token samples the next. */
  private progress(kv: KvBlockManager, sequence: Sequence, newTokens: number): void {
    sequence.computed += newTokens;
    if (sequence.computed === sequence.known && !sequence.done) sequence.emit(this.nowMs);
    if (kv.prefixCaching) kv.register(sequence, sequence.hasher.upTo(sequence.blocks.length, sequence.computed));
  }

  private complete(server: Server, sequence: Sequence): void {
    server.queues.finish(sequence, this.nowMs);
    this.metrics.leave();
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
    if (toMs > MAX_SERVING_TIME_MS) throw new UserError({ what: `the run's clock reached ${toMs} ms`, detail: `a run may last at most ${MAX_SERVING_TIME_MS} ms (MAX_SERVING_TIME_MS), beyond which it no longer resolves a microsecond.` });
    this.metrics.elapse(this.nowMs, toMs);
    this.nowMs = toMs;
  }
}
