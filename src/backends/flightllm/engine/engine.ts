import { SimulationError } from '../../../errors.js';
import type { TraceCallback } from '../../profile.js';
import { MODULE_COUNT, MODULES, maskToNames } from '../isa/index.js';

/*
 * The event-driven core. Each module executes its own instructions in
 * program order; an instruction starts when its module is free and every
 * token it waits for has been released, and it releases its tokens when it
 * ends. Tokens between a pair of modules form a FIFO: the k-th wait of B on A
 * consumes the k-th release of A to B.
 *
 * Because of that FIFO pairing, every start and end time is fixed by the
 * program alone; the order in which a simulator picks ready instructions
 * cannot change any of them (FlightLLM's profiler picks the earliest start,
 * LD first on ties, and gets the same times). So each module simply runs as
 * far as its tokens allow, in turns, until no module can move.
 *
 * Instructions live in per-module typed arrays, appended a step at a time
 * and run at the end of the step, so memory follows the largest step, not
 * the whole program.
 */

/** Results of a finished run. */
export interface EngineResult {
  /** End of the last instruction, ms. */
  readonly totalMs: number;
  /** Per module: instructions executed and busy time (sum of latencies), ms. */
  readonly counts: readonly number[];
  readonly busyMs: readonly number[];
  /** Per step and module (index step × MODULE_COUNT + module). */
  readonly stepCounts: Float64Array;
  readonly stepBusyMs: Float64Array;
  /** Per step: first start and last end, ms. */
  readonly stepStartMs: Float64Array;
  readonly stepEndMs: Float64Array;
}

/** Instructions of one module in parallel arrays, the first `count` of them in use. */
export interface InstructionArrays {
  readonly latency: Float64Array;
  readonly wait: Uint8Array;
  readonly release: Uint8Array;
  readonly count: number;
}

/** Starting capacity of a module's queue; it doubles when a step needs more. */
const INITIAL_QUEUE_CAPACITY = 1 << 14;

/** A module's program: instructions waiting to run, oldest at `head`. */
class InstructionQueue {
  latency = new Float64Array(INITIAL_QUEUE_CAPACITY);
  wait = new Uint8Array(INITIAL_QUEUE_CAPACITY);
  release = new Uint8Array(INITIAL_QUEUE_CAPACITY);
  step = new Int32Array(INITIAL_QUEUE_CAPACITY);
  head = 0;
  tail = 0;

  push(latency: number, wait: number, release: number, step: number): void {
    if (this.tail === this.latency.length) this.makeRoom();
    const at = this.tail++;
    this.latency[at] = latency;
    this.wait[at] = wait;
    this.release[at] = release;
    this.step[at] = step;
  }

  /** Appends the first `count` instructions of the arrays. */
  pushMany(from: InstructionArrays, step: number): void {
    while (this.latency.length - this.tail < from.count) this.makeRoom(from.count);
    this.latency.set(from.latency.subarray(0, from.count), this.tail);
    this.wait.set(from.wait.subarray(0, from.count), this.tail);
    this.release.set(from.release.subarray(0, from.count), this.tail);
    this.step.fill(step, this.tail, this.tail + from.count);
    this.tail += from.count;
  }

  /** Moves pending instructions to the front, doubling the arrays if they are more than half full. */
  private makeRoom(incoming = 1): void {
    const pending = this.tail - this.head;
    const capacity = (pending + incoming) * 2 > this.latency.length ? this.latency.length * 2 : this.latency.length;
    const move = <T extends Float64Array | Uint8Array | Int32Array>(array: T, fresh: T): T => {
      fresh.set(array.subarray(this.head, this.tail));
      return fresh;
    };
    this.latency = move(this.latency, new Float64Array(capacity));
    this.wait = move(this.wait, new Uint8Array(capacity));
    this.release = move(this.release, new Uint8Array(capacity));
    this.step = move(this.step, new Int32Array(capacity));
    this.head = 0;
    this.tail = pending;
  }

  /** Forgets executed instructions once all have run. */
  compact(): void {
    if (this.head === this.tail) this.head = this.tail = 0;
  }
}

/** Release times of the tokens one module has sent another and the other has not yet consumed. */
class TokenQueue {
  times = new Float64Array(64);
  head = 0;
  tail = 0;

  push(time: number): void {
    if (this.tail === this.times.length) {
      const pending = this.tail - this.head;
      const fresh = new Float64Array(pending * 2 > this.times.length ? this.times.length * 2 : this.times.length);
      fresh.set(this.times.subarray(this.head, this.tail));
      this.times = fresh;
      this.head = 0;
      this.tail = pending;
    }
    this.times[this.tail++] = time;
  }

  pop(): number {
    const time = this.times[this.head++]!;
    if (this.head === this.tail) this.head = this.tail = 0;
    return time;
  }
}

export class Engine {
  private readonly queues = Array.from({ length: MODULE_COUNT }, () => new InstructionQueue());
  /** tokens[from * MODULE_COUNT + to] */
  private readonly tokens = Array.from({ length: MODULE_COUNT * MODULE_COUNT }, () => new TokenQueue());
  /** Per module, bit `from` set when a token from `from` is waiting to be consumed. */
  private readonly available = new Uint8Array(MODULE_COUNT);
  private readonly freeAt = new Float64Array(MODULE_COUNT);
  private readonly counts = new Float64Array(MODULE_COUNT);
  private readonly busy = new Float64Array(MODULE_COUNT);
  private readonly stepCounts: Float64Array;
  private readonly stepBusy: Float64Array;
  private readonly stepStart: Float64Array;
  private readonly stepEnd: Float64Array;
  private readonly stepNames: string[] = [];

  constructor(
    stepCount: number,
    private readonly trace?: TraceCallback,
  ) {
    this.stepCounts = new Float64Array(stepCount * MODULE_COUNT);
    this.stepBusy = new Float64Array(stepCount * MODULE_COUNT);
    this.stepStart = new Float64Array(stepCount).fill(Infinity);
    this.stepEnd = new Float64Array(stepCount);
  }

  /** Names a step for error messages. */
  nameStep(step: number, name: string): void {
    this.stepNames[step] = name;
  }

  push(module: number, latency: number, wait: number, release: number, step: number): void {
    this.queues[module]!.push(latency, wait, release, step);
  }

  /** Appends instructions of one module, all of `step`. */
  pushMany(module: number, instructions: InstructionArrays, step: number): void {
    this.queues[module]!.pushMany(instructions, step);
  }

  /** Adds release tokens to the newest instruction of a module. */
  addRelease(module: number, mask: number): void {
    const queue = this.queues[module]!;
    if (queue.tail === queue.head) throw new Error(`internal: no ${MODULES[module]} instruction to add a release to`);
    queue.release[queue.tail - 1]! |= mask;
  }

  /** Executes every instruction whose tokens are available, until no module can move. */
  run(): void {
    let moved = true;
    while (moved) {
      moved = false;
      for (let module = 0; module < MODULE_COUNT; module++) {
        if (this.runModule(module)) moved = true;
      }
    }
    for (const queue of this.queues) queue.compact();
  }

  /** Runs one module as far as it can go; true if it executed anything. */
  private runModule(module: number): boolean {
    const queue = this.queues[module]!;
    const { latency, wait, release, step } = queue;
    const tokens = this.tokens;
    const trace = this.trace;
    let head = queue.head;
    const tail = queue.tail;
    if (head === tail) return false;
    const first = head;
    let time = this.freeAt[module]!;
    let available = this.available[module]!;
    // Busy time is summed instruction by instruction, in program order, as
    // FlightLLM does; the per-step figures are flushed when the step changes.
    let busy = this.busy[module]!;
    let tallyStep = step[head]!;
    let executed = 0;
    let stepBusy = 0;
    let stepStart = Infinity;
    let stepEnd = 0;
    while (head < tail) {
      const waits = wait[head]!;
      if ((waits & available) !== waits) break;
      let start = time;
      for (let from = 0, bits = waits; bits !== 0; from++, bits >>= 1) {
        if ((bits & 1) === 0) continue;
        const queueOf = tokens[from * MODULE_COUNT + module]!;
        const ready = queueOf.pop();
        if (ready > start) start = ready;
        if (queueOf.head === queueOf.tail) available &= ~(1 << from);
      }
      const duration = latency[head]!;
      const end = start + duration;
      this.releaseTokens(module, release[head]!, end);
      busy += duration;
      const instructionStep = step[head]!;
      if (instructionStep !== tallyStep) {
        this.flushStep(module, tallyStep, executed, stepBusy, stepStart, stepEnd);
        tallyStep = instructionStep;
        executed = 0;
        stepBusy = 0;
        stepStart = Infinity;
      }
      executed++;
      stepBusy += duration;
      if (start < stepStart) stepStart = start;
      stepEnd = end;
      if (trace !== undefined) trace(module, instructionStep, start, end);
      time = end;
      head++;
    }
    this.flushStep(module, tallyStep, executed, stepBusy, stepStart, stepEnd);
    this.available[module] = available;
    this.busy[module] = busy;
    this.counts[module]! += head - first;
    queue.head = head;
    this.freeAt[module] = time;
    return head !== first;
  }

  /** Sends a token, released at `time`, from `module` to every module set in `mask`. */
  private releaseTokens(module: number, mask: number, time: number): void {
    for (let to = 0, bits = mask; bits !== 0; to++, bits >>= 1) {
      if ((bits & 1) === 0) continue;
      this.tokens[module * MODULE_COUNT + to]!.push(time);
      this.available[to]! |= 1 << module;
    }
  }

  /** Adds what a module executed of one step since the last flush to the step's figures. */
  private flushStep(module: number, step: number, executed: number, busy: number, start: number, end: number): void {
    if (executed === 0) return;
    this.stepCounts[step * MODULE_COUNT + module]! += executed;
    this.stepBusy[step * MODULE_COUNT + module]! += busy;
    if (start < this.stepStart[step]!) this.stepStart[step] = start;
    if (end > this.stepEnd[step]!) this.stepEnd[step] = end;
  }

  /** Checks that everything ran and every token was consumed, and returns the totals. */
  finish(): EngineResult {
    this.run();
    const stuck = this.firstStuck();
    if (stuck !== undefined) throw stuck;
    const leftover = this.leftoverTokens();
    if (leftover !== undefined) throw leftover;
    return {
      totalMs: Math.max(...this.freeAt),
      counts: Array.from(this.counts),
      busyMs: Array.from(this.busy),
      stepCounts: this.stepCounts,
      stepBusyMs: this.stepBusy,
      stepStartMs: this.stepStart,
      stepEndMs: this.stepEnd,
    };
  }

  /** The deadlock, if any module still has instructions it cannot run. */
  private firstStuck(): SimulationError | undefined {
    for (let module = 0; module < MODULE_COUNT; module++) {
      const queue = this.queues[module]!;
      if (queue.head === queue.tail) continue;
      const missing = queue.wait[queue.head]! & ~this.available[module]!;
      const step = queue.step[queue.head]!;
      // Instructions of a step execute in order, so the stuck one comes right after those that ran.
      const position = this.stepCounts[step * MODULE_COUNT + module]!;
      return new SimulationError({
        what: 'deadlock',
        detail: `${MODULES[module]} instruction #${position + 1} of step ${step} "${this.stepNames[step] ?? '?'}" waits for a token from ${maskToNames(missing).join(' and ')} that is never released (${queue.tail - queue.head} ${MODULES[module]} instructions left unexecuted).`,
      });
    }
    return undefined;
  }

  private leftoverTokens(): SimulationError | undefined {
    for (let from = 0; from < MODULE_COUNT; from++) {
      for (let to = 0; to < MODULE_COUNT; to++) {
        const queue = this.tokens[from * MODULE_COUNT + to]!;
        const count = queue.tail - queue.head;
        if (count > 0) {
          return new SimulationError({
            what: 'token mismatch',
            detail: `${MODULES[from]} released ${count} token${count > 1 ? 's' : ''} to ${MODULES[to]} that no instruction waits for.`,
          });
        }
      }
    }
    return undefined;
  }
}
