import type { FlightLlmHardware } from '../schema.js';
import { emitStep, planProgram, type GenerateOptions, type Program } from '../instgen/index.js';
import type { LoadInstruction, MatrixInstruction, MatrixModule, MiscInstruction, StepInfo, StoreInstruction, StreamSink, SysInstruction } from '../instgen/index.js';
import type { Ir } from '../../../ir/index.js';
import { Module, MODULE_COUNT, MODULES, type ModuleId, type ModuleName } from '../isa/index.js';
import type { ModuleFigures, Profile, StepProfile, TraceCallback } from '../../profile.js';
import { Engine } from './engine.js';
import { latencyModel, type LatencyModel } from './latency.js';
import { StepTape } from './tape.js';

export interface SimulateOptions extends GenerateOptions {
  /** Called for every executed instruction with its module, step and times. */
  readonly trace?: TraceCallback;
}

/**
 * Simulates an IR on the hardware: plans the program, then generates and
 * runs it one step at a time so that no more than a step's instructions are
 * ever held in memory.
 */
export function simulateIr(ir: Ir, hw: FlightLlmHardware, options: SimulateOptions = {}): Profile {
  return simulateProgram(planProgram(ir, hw, options), hw, options);
}

/**
 * Simulates an already planned program. A step whose plan signature an
 * earlier step shares (the same linear layer in every transformer layer)
 * replays that step's recorded instructions instead of generating them.
 */
export function simulateProgram(program: Program, hw: FlightLlmHardware, options: { trace?: TraceCallback } = {}): Profile {
  const engine = new Engine(program.steps.length, options.trace);
  const sink = new SimulationSink(engine, latencyModel(hw));
  const { ids, uses } = tapeIds(program);
  const tapes: Array<StepTape | undefined> = [];
  ids.forEach((id, index) => {
    const tape = id < 0 ? undefined : tapes[id];
    if (tape !== undefined) sink.replay(program.steps[index]!.info, tape);
    else {
      const recording = id >= 0 && uses[id]! > 1 ? new StepTape() : undefined;
      sink.record(recording);
      emitStep(program, index, sink);
      if (recording?.replayable === true) tapes[id] = recording;
    }
    // A tape is dropped after the last step that can use it, so memory follows the repeated steps, not the program.
    if (id >= 0 && --uses[id]! === 0) tapes[id] = undefined;
  });
  const result = engine.finish();
  const steps = program.steps.map(({ info }, index): StepProfile => {
    const modules = figures((module) => ({
      count: result.stepCounts[index * MODULE_COUNT + module]!,
      busyMs: result.stepBusyMs[index * MODULE_COUNT + module]!,
    }));
    return { index: info.index, irIndex: info.irIndex, name: info.name, type: info.type, startMs: result.stepStartMs[index]!, endMs: result.stepEndMs[index]!, modules };
  });
  const modules = figures((module) => ({ count: result.counts[module]!, busyMs: result.busyMs[module]! }));
  const instructionCount = result.counts.reduce((sum, count) => sum + count, 0);
  return { totalMs: result.totalMs, instructionCount, moduleNames: MODULES, modules, steps };
}

/**
 * Numbers the steps' tapes: steps share a number when their plan signatures
 * are equal and they sit alike in the program (the first and last steps are
 * framed differently); -1 for a step without a signature. `uses` counts the
 * steps of each number.
 */
function tapeIds(program: Program): { ids: Int32Array; uses: Int32Array } {
  const numbers = new Map<string, number>();
  const ids = new Int32Array(program.steps.length);
  const last = program.steps.length - 1;
  program.steps.forEach(({ info, planned }, index) => {
    if (planned.signature === undefined) {
      ids[index] = -1;
      return;
    }
    const key = `${index === 0 ? 'first' : index === last ? 'last' : 'inner'} ${info.type} ${planned.signature}`;
    let id = numbers.get(key);
    if (id === undefined) numbers.set(key, (id = numbers.size));
    ids[index] = id;
  });
  const uses = new Int32Array(numbers.size);
  for (const id of ids) if (id >= 0) uses[id]!++;
  return { ids, uses };
}

function figures(of: (module: ModuleId) => ModuleFigures): Record<ModuleName, ModuleFigures> {
  return Object.fromEntries(MODULES.map((name) => [name, of(Module[name])])) as Record<ModuleName, ModuleFigures>;
}

/**
 * Feeds generated instructions to the engine with their latencies, running
 * the engine after each step, and records them on a tape when asked.
 */
class SimulationSink implements StreamSink {
  private step = 0;
  private tape: StepTape | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly latency: LatencyModel,
  ) {}

  /** Records the instructions of the steps that follow on `tape` (none: stop recording). */
  record(tape: StepTape | undefined): void {
    this.tape = tape;
  }

  /** Runs a step from a tape recorded for another step with the same signature. */
  replay(info: StepInfo, tape: StepTape): void {
    this.beginStep(info);
    tape.replay(this.engine, this.step);
    this.endStep();
  }

  beginStep(info: StepInfo): void {
    this.step = info.index;
    this.engine.nameStep(info.index, info.name);
  }

  endStep(): void {
    this.engine.run();
  }

  load(i: LoadInstruction): void {
    this.push(Module.LD, this.latency.load(i), i.wait, i.release);
  }

  store(i: StoreInstruction): void {
    this.push(Module.ST, this.latency.store(i), i.wait, i.release);
  }

  matrix(module: MatrixModule, i: MatrixInstruction): void {
    this.push(module, this.latency.matrix(module, i), i.wait, i.release);
  }

  misc(i: MiscInstruction): void {
    this.push(Module.MISC, this.latency.misc(i), i.wait, i.release);
  }

  sys(i: SysInstruction): void {
    this.push(Module.SYS, this.latency.sys(), i.wait, i.release);
  }

  addRelease(module: ModuleId, mask: number): void {
    this.engine.addRelease(module, mask);
    this.tape?.addRelease(module, mask);
  }

  private push(module: ModuleId, latency: number, wait: number, release: number): void {
    this.engine.push(module, latency, wait, release, this.step);
    this.tape?.push(module, latency, wait, release);
  }
}
