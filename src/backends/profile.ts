/*
 * What every kind of hardware reports, below every backend: a simulation's
 * profile, its steps and modules, and the trace callback that sees each
 * instruction or operation as it runs.
 */

/** Called for every instruction or operation with its module index, step and start and end times. */
export type TraceCallback = (module: number, step: number, startMs: number, endMs: number) => void;

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
 * modules (LD, ST, MM, MV, MISC, SYS); a DPU card's DPU, HOST and PCIE; a
 * roofline board's kernel classes (see each backend's `moduleNames`).
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
