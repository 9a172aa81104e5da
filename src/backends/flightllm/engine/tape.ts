import { MODULE_COUNT, type ModuleId } from '../isa/index.js';
import type { Engine } from './engine.js';

/*
 * A step's instructions as the engine takes them (latency and tokens, in
 * program order per module), recorded the first time the step is generated
 * so that later steps with the same plan signature replay them instead of
 * generating them again. The engine still runs every replayed instruction,
 * so times and busy sums are those of a generated step to the last bit.
 */

/** Starting capacity of a module's lane; it doubles when a step needs more. */
const INITIAL_CAPACITY = 1 << 8;

/** One module's instructions of the step. */
class Lane {
  latency = new Float64Array(INITIAL_CAPACITY);
  wait = new Uint8Array(INITIAL_CAPACITY);
  release = new Uint8Array(INITIAL_CAPACITY);
  length = 0;

  push(latency: number, wait: number, release: number): void {
    if (this.length === this.latency.length) this.grow();
    const at = this.length++;
    this.latency[at] = latency;
    this.wait[at] = wait;
    this.release[at] = release;
  }

  private grow(): void {
    const capacity = this.latency.length * 2;
    const grown = <T extends Uint8Array | Float64Array>(array: T, fresh: T): T => {
      fresh.set(array);
      return fresh;
    };
    this.latency = grown(this.latency, new Float64Array(capacity));
    this.wait = grown(this.wait, new Uint8Array(capacity));
    this.release = grown(this.release, new Uint8Array(capacity));
  }
}

export class StepTape {
  /** A lane per module, made when the module's first instruction is recorded. */
  private readonly lanes: Array<Lane | undefined> = new Array<Lane | undefined>(MODULE_COUNT).fill(undefined);
  /** False once the step added a release to an instruction it did not record: such a tape cannot stand alone. */
  replayable = true;

  push(module: ModuleId, latency: number, wait: number, release: number): void {
    (this.lanes[module] ??= new Lane()).push(latency, wait, release);
  }

  addRelease(module: ModuleId, mask: number): void {
    const lane = this.lanes[module];
    if (lane === undefined) this.replayable = false;
    else lane.release[lane.length - 1]! |= mask;
  }

  /** Appends the recorded instructions to the engine's queues as instructions of `step`. */
  replay(engine: Engine, step: number): void {
    this.lanes.forEach((lane, module) => {
      if (lane !== undefined) engine.pushMany(module, { latency: lane.latency, wait: lane.wait, release: lane.release, count: lane.length }, step);
    });
  }
}
