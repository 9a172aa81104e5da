import type { Hardware } from '../hardware/index.js';
import type { Ir, MaskLookup } from '../ir/index.js';
import { MODULES } from '../isa/index.js';
import { DPU_HOST_MODULES, simulateDpuHost } from './dpu-host.js';
import type { TraceCallback } from './engine.js';
import { simulateIr, type Profile } from './simulate.js';

/*
 * One entry point for every kind of hardware: FlightLLM's architecture is
 * simulated instruction by instruction, a DPU card with its host operator by
 * operator.
 */

export interface SimulationOptions {
  /** Attention masks (FlightLLM's prefill attention needs them). */
  readonly masks?: MaskLookup | undefined;
  /** The IR's file, for error messages. */
  readonly file?: string | undefined;
  /** Called for every instruction or operation with its module index, step and times. */
  readonly trace?: TraceCallback | undefined;
}

const SIMULATORS: { [K in Hardware['kind']]: (ir: Ir, hw: Extract<Hardware, { kind: K }>, options: SimulationOptions) => Profile } = {
  flightllm: (ir, hw, options) => simulateIr(ir, hw, options),
  'dpu-host': (ir, hw, options) => simulateDpuHost(ir, hw, options),
};

const MODULE_NAMES: { [K in Hardware['kind']]: readonly string[] } = {
  flightllm: MODULES,
  'dpu-host': DPU_HOST_MODULES,
};

export function simulate(ir: Ir, hw: Hardware, options: SimulationOptions = {}): Profile {
  return (SIMULATORS[hw.kind] as (ir: Ir, hw: Hardware, options: SimulationOptions) => Profile)(ir, hw, options);
}

/** The modules a kind of hardware reports, in order (trace tracks, CSV rows). */
export function moduleNamesOf(hw: Hardware): readonly string[] {
  return MODULE_NAMES[hw.kind];
}
