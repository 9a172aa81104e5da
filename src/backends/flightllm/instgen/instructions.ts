import type { LoadTarget, MiscOperation, Module, ModuleId } from '../isa/index.js';

/** The two modules that run matrix instructions. */
export type MatrixModule = typeof Module.MM | typeof Module.MV;

/*
 * Instructions as the generator produces them: the ISA fields that matter,
 * plus notes for the simulator that the binary encoding does not carry (how
 * many HBM channels a transfer spreads over, whether it crosses channels, and
 * how data width and sparsity scale its bandwidth). `wait` and `release` are
 * token masks over module indices.
 */

export interface Tokens {
  wait: number;
  release: number;
}

/** LD: HBM to an on-chip buffer. */
export interface LoadInstruction extends Tokens {
  target: LoadTarget;
  lengthBytes: number;
  hbmAddress: number;
  bankAddress: number;
  /** Channel within the target buffer's HBM channel group. */
  hbmChannel: number;
  /** Write zeros at the buffer's full width instead of reading HBM. */
  zeroFill: boolean;
  /** Simulation: the data lives on another buffer's channels (lower efficiency). */
  crossChannel: boolean;
  /** Simulation: HBM channels serving the transfer in parallel. */
  parallelChannels: number;
  /** Simulation: bandwidth multiplier from narrower data and skipped (sparse) weights. */
  bandwidthRatio: number;
}

/** ST: global buffer to HBM. */
export interface StoreInstruction extends Tokens {
  lengthBytes: number;
  hbmAddress: number;
  bankAddress: number;
  hbmChannel: number;
  crossChannel: boolean;
  parallelChannels: number;
  /** Simulation: bandwidth multiplier from the data's width. */
  bandwidthRatio: number;
}

/** MM or MV: one output tile over `kBlocks` blocks of K. */
export interface MatrixInstruction extends Tokens {
  kBlocks: number;
  aAddress: number;
  bAddress: number;
  outAddress: number;
  biasAddress: number;
  metaAddress: number;
  fsbAddress: number;
  bias: boolean;
  relu: boolean;
  sparse: boolean;
  /** Last K split: the result leaves the accumulator. */
  output: boolean;
  /** Simulation: fraction of multiply-accumulates performed when `sparse`. */
  sparseRatio: number;
  /** Simulation: engine throughput for the operands' precision, relative to int8. */
  rate: number;
}

/** MISC: a vector operation over one row of `kBlocks` blocks. */
export interface MiscInstruction extends Tokens {
  operation: MiscOperation;
  kBlocks: number;
  inAAddress: number;
  inBAddress: number;
  outAddress: number;
  /** Simulation: engine throughput for the data's precision, relative to int8. */
  rate: number;
}

/** SYS: synchronises all modules at a layer boundary. */
export type SysInstruction = Tokens;

/**
 * Where generated instructions go: the simulator, an encoder, a trace. The
 * generator emits each module's instructions in program order.
 */
export interface InstructionSink {
  load(instruction: LoadInstruction): void;
  store(instruction: StoreInstruction): void;
  matrix(module: MatrixModule, instruction: MatrixInstruction): void;
  misc(instruction: MiscInstruction): void;
  sys(instruction: SysInstruction): void;
  /**
   * Adds release tokens to the most recent instruction of `module` (the last
   * instruction of a group whose end is only known once the group is done).
   */
  addRelease(module: ModuleId, mask: number): void;
}

/** A step of the program as a stream consumer sees it. */
export interface StepInfo {
  readonly index: number;
  /** The step's layer name, with the names of layers fused into it. */
  readonly name: string;
  /** IR type of the step's main layer. */
  readonly type: string;
  /** Index of the step's main layer in the IR. */
  readonly irIndex: number;
}

/** A sink that is also told where each step begins and ends. */
export interface StreamSink extends InstructionSink {
  beginStep(step: StepInfo): void;
  /** Called after the step's closing SYS; a simulator runs the step here. */
  endStep(): void;
}
