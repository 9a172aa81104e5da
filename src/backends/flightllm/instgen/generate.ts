import { IrError, type Issue } from '../../../errors.js';
import type { FlightLlmHardware } from '../schema.js';
import { declaredBatch, type Ir, type MaskLookup } from '../../../ir/index.js';
import { Module, type ModuleId } from '../isa/index.js';
import type { InstructionSink, LoadInstruction, MatrixInstruction, MatrixModule, MiscInstruction, StepInfo, StoreInstruction, StreamSink, SysInstruction } from './instructions.js';
import { planAttentionMatrixMatrix } from './layers/attention-mm.js';
import { planAttentionMatrixVector } from './layers/attention-mv.js';
import type { GenerationContext, PlannedStep, StepPlanner } from './layers/common.js';
import { planConcat } from './layers/concat.js';
import { planLinearMatrixMatrix } from './layers/linear-mm.js';
import { planLinearMatrixVector } from './layers/linear-mv.js';
import { planVectorLayer } from './layers/misc.js';
import { T } from './layers/tokens.js';
import { planSteps, stepName, type ComputeType, type Step } from '../../../ir/steps.js';

/** One generator per layer type. */
const PLANNERS: Record<ComputeType, StepPlanner> = {
  linear_mm: planLinearMatrixMatrix,
  linear_mv: planLinearMatrixVector,
  attention_mm: planAttentionMatrixMatrix,
  attention_mv: planAttentionMatrixVector,
  softmax: planVectorLayer,
  layernorm: planVectorLayer,
  eltwise: planVectorLayer,
  silu: planVectorLayer,
  concat: planConcat,
};

export interface GenerateOptions {
  /** Attention masks by parameter name (prefill attention needs them). */
  readonly masks?: MaskLookup;
  /** Named in errors. */
  readonly file?: string;
}

/** A program ready to emit: its steps, each planned. */
export interface Program {
  readonly steps: ReadonlyArray<{ readonly info: StepInfo; readonly planned: PlannedStep }>;
}

/**
 * Plans every step of an IR for the hardware: fusion, tiling, buffer
 * capacities and dependency depths. Collects every problem and throws one
 * IrError listing them all.
 */
export function planProgram(ir: Ir, hw: FlightLlmHardware, options: GenerateOptions = {}): Program {
  const { steps, issues } = planSteps(ir);
  const context: GenerationContext = { hw, masks: options.masks, flightllmShape: declaredBatch(ir) === undefined };
  const planned: Array<{ info: StepInfo; planned: PlannedStep }> = [];
  for (const step of steps) {
    const result = PLANNERS[step.layer.type](step, context);
    if (Array.isArray(result)) issues.push(...(result as Issue[]));
    else planned.push({ info: stepInfo(step), planned: result });
  }
  if (issues.length > 0) throw new IrError({ what: 'the IR cannot run on this hardware', file: options.file, issues });
  return { steps: planned };
}

function stepInfo(step: Step): StepInfo {
  return { index: step.index, name: stepName(step), type: step.layer.type, irIndex: step.irIndex };
}

/**
 * Emits a planned program into a sink, step by step. Every step opens with a
 * load that waits for the previous step's SYS and closes with a store that
 * releases its own SYS, which in turn releases the next step's first load.
 */
export function emitProgram(program: Program, sink: StreamSink): void {
  for (let index = 0; index < program.steps.length; index++) emitStep(program, index, sink);
}

/** Emits one step of a planned program, framed as `emitProgram` frames it (the sink is told where it begins and ends). */
export function emitStep(program: Program, index: number, sink: StreamSink): void {
  const { info, planned } = program.steps[index]!;
  const isLast = index === program.steps.length - 1;
  const frame = new StepFrame(sink);
  sink.beginStep(info);
  frame.open(index === 0 ? 0 : T.SYS);
  planned.emit(frame);
  frame.close(info);
  sink.addRelease(Module.ST, T.SYS);
  sink.sys({ wait: T.ST, release: isLast ? 0 : T.LD });
  sink.endStep();
}

/** Plans and emits in one call. */
export function generateInstructions(ir: Ir, hw: FlightLlmHardware, sink: StreamSink, options: GenerateOptions = {}): void {
  emitProgram(planProgram(ir, hw, options), sink);
}

/**
 * Passes a step's instructions through, adding the step's opening wait to
 * its first instruction and checking that it opens with a load and closes
 * with a store, as the synchronisation scheme requires.
 */
class StepFrame implements InstructionSink {
  private pendingWait = 0;
  private first: ModuleId | undefined;
  private last: ModuleId | undefined;

  constructor(private readonly sink: InstructionSink) {}

  open(wait: number): void {
    this.pendingWait = wait;
    this.first = undefined;
    this.last = undefined;
  }

  close(info: StepInfo): void {
    if (this.first !== Module.LD || this.last !== Module.ST) {
      throw new Error(`internal: step ${info.index} "${info.name}" must open with LD and close with ST`);
    }
  }

  private seen(module: ModuleId): number {
    this.first ??= module;
    this.last = module;
    const wait = this.pendingWait;
    this.pendingWait = 0;
    return wait;
  }

  load(instruction: LoadInstruction): void {
    const wait = this.seen(Module.LD);
    if (wait !== 0) instruction.wait |= wait;
    this.sink.load(instruction);
  }

  store(instruction: StoreInstruction): void {
    const wait = this.seen(Module.ST);
    if (wait !== 0) instruction.wait |= wait;
    this.sink.store(instruction);
  }

  matrix(module: MatrixModule, instruction: MatrixInstruction): void {
    const wait = this.seen(module);
    if (wait !== 0) instruction.wait |= wait;
    this.sink.matrix(module, instruction);
  }

  misc(instruction: MiscInstruction): void {
    const wait = this.seen(Module.MISC);
    if (wait !== 0) instruction.wait |= wait;
    this.sink.misc(instruction);
  }

  sys(instruction: SysInstruction): void {
    this.seen(Module.SYS);
    this.sink.sys(instruction);
  }

  addRelease(module: ModuleId, mask: number): void {
    this.sink.addRelease(module, mask);
  }
}
