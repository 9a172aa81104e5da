import type { Hardware, HardwareKind } from './kinds.js';
import type { Ir } from '../ir/index.js';
import type { Profile } from './flightllm/engine/simulate.js';
import type { CompileTarget, HardwareBackend, SimulationOptions } from './backend.js';
import { dpuHostBackend } from './dpu-host/index.js';
import { flightllmBackend } from './flightllm/index.js';
import { rooflineBackend } from './roofline/index.js';

/*
 * The registry of hardware kinds: one backend per kind. Everything that
 * depends on the kind of a board asks its backend.
 */

const BACKENDS: { readonly [K in HardwareKind]: HardwareBackend<Extract<Hardware, { kind: K }>> } = {
  flightllm: flightllmBackend,
  'dpu-host': dpuHostBackend,
  roofline: rooflineBackend,
};

/** The backend of a board's kind. */
export function backendFor(hw: Hardware): HardwareBackend {
  return BACKENDS[hw.kind] as HardwareBackend;
}

/** What the compiler must respect on this board. */
export function compileTarget(hw: Hardware): CompileTarget {
  return backendFor(hw).target(hw);
}

/** Simulates an IR on any kind of hardware. */
export function simulate(ir: Ir, hw: Hardware, options: SimulationOptions = {}): Profile {
  return backendFor(hw).simulate(ir, hw, options);
}

/** The modules a kind of hardware reports, in order (trace tracks, CSV rows). */
export function moduleNamesOf(hw: Hardware): readonly string[] {
  return backendFor(hw).moduleNames;
}

export {
  weightBitsOf,
  weightBitsPerElement,
  type HardwareBackend,
  type CompileTarget,
  type MemoryPool,
  type MemoryContent,
  type Peaks,
  type BoundProduct,
  type SimulationOptions,
  type RowStructure,
  type RowStructureQuery,
  type MaskGeometry,
  type PrecisionDtypes,
} from './backend.js';
export { flightllmBackend, flightllmTarget, FlightLlmHardwareSchema, type FlightLlmHardware } from './flightllm/index.js';
export { dpuHostBackend, dpuHostTarget, DpuHostHardwareSchema, DPU_HOST_MODULES, simulateDpuHost, type DpuHostHardware, type DpuHostOptions } from './dpu-host/index.js';
export { rooflineBackend, rooflineTarget, RooflineHardwareSchema, ROOFLINE_MODULES, simulateRoofline, rooflineKernels, kernelsMs, type RooflineHardware, type Kernel } from './roofline/index.js';
