import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { OutputError } from '../errors.js';
import { checkOutputPaths, temporaryBeside, type OutputSet } from '../util/output-set.js';
import { describeFsError } from '../util/yaml.js';
import { MODULES } from '../backends/index.js';
import type { TraceCallback } from '../backends/profile.js';
import type { StepProfile } from '../backends/profile.js';

/*
 * Chrome trace-event files (the JSON format Perfetto and chrome://tracing
 * open): one track per hardware module with a slice per instruction, and a
 * track of steps (a layer with what is fused into it). Events are streamed to
 * disk as the simulation runs; a time window and an event budget bound the
 * file's size. The file appears under its name only once complete.
 */

export interface TraceOptions {
  /** Name of the traced process, e.g. the hardware. */
  readonly processName: string;
  /** Track names by module index; default FlightLLM's ISA modules. */
  readonly moduleNames?: readonly string[] | undefined;
  /** Only instructions overlapping [start, end) ms are written. */
  readonly windowMs?: readonly [number, number] | undefined;
  /** At most this many instruction slices are written. */
  readonly maxEvents?: number | undefined;
}

const FLUSH_BYTES = 1 << 16;
const US_PER_MS = 1000;

export class TraceWriter {
  /** Instruction slices written, and those left out by the budget. */
  written = 0;
  dropped = 0;
  private readonly fd: number;
  private readonly temporary: string;
  private buffer = '';
  private first = true;
  private readonly window: readonly [number, number];
  private readonly maxEvents: number;
  private readonly moduleNames: readonly string[];
  /** The track of steps, after the modules' tracks. */
  private readonly stepTrack: number;

  constructor(
    private readonly path: string,
    options: TraceOptions,
  ) {
    checkOutputPaths([path]);
    this.temporary = temporaryBeside(path);
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.fd = openSync(this.temporary, 'w');
    } catch (error) {
      throw new OutputError({ what: 'cannot write output', file: path, detail: describeFsError(error) });
    }
    this.window = options.windowMs ?? [0, Infinity];
    this.maxEvents = options.maxEvents ?? Infinity;
    this.moduleNames = options.moduleNames ?? MODULES;
    this.stepTrack = this.moduleNames.length;
    this.buffer = '{"traceEvents":[';
    this.event({ name: 'process_name', ph: 'M', pid: 1, args: { name: options.processName } });
    this.moduleNames.forEach((name, tid) => this.event({ name: 'thread_name', ph: 'M', pid: 1, tid, args: { name } }));
    this.event({ name: 'thread_name', ph: 'M', pid: 1, tid: this.stepTrack, args: { name: 'steps' } });
  }

  /** The engine's per-instruction hook. */
  readonly record: TraceCallback = (module, step, startMs, endMs) => {
    if (endMs < this.window[0] || startMs >= this.window[1]) return;
    if (this.written >= this.maxEvents) {
      this.dropped++;
      return;
    }
    this.written++;
    this.event({ name: this.moduleNames[module], cat: 'instruction', ph: 'X', ts: startMs * US_PER_MS, dur: (endMs - startMs) * US_PER_MS, pid: 1, tid: module, args: { step } });
  };

  /** Writes the step track and renames the file into place, or hands it to `outputs` to be renamed with the command's other files. */
  finish(steps: readonly StepProfile[], outputs?: OutputSet): void {
    for (const step of steps) {
      if (step.endMs < this.window[0] || step.startMs >= this.window[1]) continue;
      this.event({ name: step.name, cat: step.type, ph: 'X', ts: step.startMs * US_PER_MS, dur: (step.endMs - step.startMs) * US_PER_MS, pid: 1, tid: this.stepTrack, args: { step: step.index } });
    }
    this.buffer += `],"displayTimeUnit":"ms","otherData":{"generator":"fpga-llm-sim","droppedInstructions":${this.dropped}}}\n`;
    this.flush();
    closeSync(this.fd);
    if (outputs !== undefined) outputs.adopt(this.path, this.temporary);
    else renameSync(this.temporary, this.path);
  }

  /** Abandons the file (after an error): nothing half-written is left. */
  abort(): void {
    closeSync(this.fd);
    rmSync(this.temporary, { force: true });
  }

  private event(event: object): void {
    this.buffer += `${this.first ? '' : ','}${JSON.stringify(event)}`;
    this.first = false;
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    writeSync(this.fd, this.buffer);
    this.buffer = '';
  }
}
