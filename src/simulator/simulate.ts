import type { FlightLlmHardware } from '../hardware/index.js';
import { emitProgram, planProgram, type GenerateOptions, type Program } from '../instgen/index.js';
import type { LoadInstruction, MatrixInstruction, MatrixModule, MiscInstruction, StepInfo, StoreInstruction, StreamSink, SysInstruction } from '../instgen/index.js';
import type { Ir } from '../ir/index.js';
import { Module, MODULE_COUNT, MODULES, type ModuleId, type ModuleName } from '../isa/index.js';
import { Engine, type TraceCallback } from './engine.js';
import { latencyModel, type LatencyModel } from './latency.js';

/** Instructions and busy time of one module. */
export interface ModuleFigures {
  readonly count: number;
  readonly busyMs: number;
}

/** Figures of one step (a layer with the layers fused into it). */
export interface StepProfile {
  readonly index: number;
  /** Index of the step's main layer in the IR. */
  readonly irIndex: number;
  readonly name: string;
  readonly type: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly modules: Readonly<Record<string, ModuleFigures>>;
}

/**
 * What a simulation reports: per-module totals, the end-to-end latency and
 * per-step figures. Modules depend on the kind of hardware: FlightLLM's ISA
 * modules (LD, ST, MM, MV, MISC, SYS), or DPU, HOST and PCIE.
 */
export interface Profile {
  readonly totalMs: number;
  /** Instructions, or operations where the hardware is modelled operator by operator. */
  readonly instructionCount: number;
  /** Module names in report order. */
  readonly moduleNames: readonly string[];
  readonly modules: Readonly<Record<string, ModuleFigures>>;
  readonly steps: readonly StepProfile[];
  /** Bytes moved over a host link, where the kind has one. */
  readonly interconnectBytes?: number | undefined;
}

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

/** Simulates an already planned program. */
export function simulateProgram(program: Program, hw: FlightLlmHardware, options: { trace?: TraceCallback } = {}): Profile {
  const engine = new Engine(program.steps.length, options.trace);
  const sink = new SimulationSink(engine, latencyModel(hw));
  emitProgram(program, sink);
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

function figures(of: (module: ModuleId) => ModuleFigures): Record<ModuleName, ModuleFigures> {
  return Object.fromEntries(MODULES.map((name) => [name, of(Module[name])])) as Record<ModuleName, ModuleFigures>;
}

/** Feeds generated instructions to the engine with their latencies, running the engine after each step. */
class SimulationSink implements StreamSink {
  private step = 0;

  constructor(
    private readonly engine: Engine,
    private readonly latency: LatencyModel,
  ) {}

  beginStep(info: StepInfo): void {
    this.step = info.index;
    this.engine.nameStep(info.index, info.name);
  }

  endStep(): void {
    this.engine.run();
  }

  load(i: LoadInstruction): void {
    this.engine.push(Module.LD, this.latency.load(i), i.wait, i.release, this.step);
  }

  store(i: StoreInstruction): void {
    this.engine.push(Module.ST, this.latency.store(i), i.wait, i.release, this.step);
  }

  matrix(module: MatrixModule, i: MatrixInstruction): void {
    this.engine.push(module, this.latency.matrix(module, i), i.wait, i.release, this.step);
  }

  misc(i: MiscInstruction): void {
    this.engine.push(Module.MISC, this.latency.misc(i), i.wait, i.release, this.step);
  }

  sys(i: SysInstruction): void {
    this.engine.push(Module.SYS, this.latency.sys(), i.wait, i.release, this.step);
  }

  addRelease(module: ModuleId, mask: number): void {
    this.engine.addRelease(module, mask);
  }
}
