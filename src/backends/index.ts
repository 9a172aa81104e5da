import type { CompileTarget } from '../compiler/target.js';
import type { Ir } from '../ir/index.js';
import type { SimulationOptions } from './backend.js';
import type { Profile } from './profile.js';
import { backendFor, type Hardware } from './registry.js';

/*
 * Hardware kinds, behind one interface (backend.ts), held by the registry
 * (registry.ts); board files are read by load.ts. Everything above this
 * folder asks a board's backend through the functions here.
 */

/** Everything the compiler must respect on this board: its kind's layout and the board's own name, masks and precisions. */
export function compileTarget(hw: Hardware): CompileTarget {
  const backend = backendFor(hw);
  return {
    ...backend.target(hw),
    boardName: hw.name,
    maskGeometry: backend.maskGeometry(hw),
    refusePrecision: (precision) => backend.refusePrecision(hw, precision),
    defaultPrecision: backend.defaultPrecision?.(hw),
  };
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
  type HardwareBackend,
  type BoardDescription,
  type Peaks,
  type BoundProduct,
  type SimulationOptions,
  type RowStructure,
  type RowStructureQuery,
} from './backend.js';
export type { Profile, StepProfile, ModuleFigures, TraceCallback } from './profile.js';
export { backendFor, registerBackend, unregisterBackend, hardwareKinds, checkHardware, parseBoard, withDefaultKind, DEFAULT_KIND, type Hardware, type HardwareKind } from './registry.js';
export { loadHardware, parseHardware, shippedHardwareNames, hardwarePath, hardwareSources, type LoadHardwareOptions } from './load.js';
export { flightllmBackend, flightllmTarget, FlightLlmHardwareSchema, type FlightLlmHardware } from './flightllm/index.js';
export { FlightLlmConfigSchema, type FlightLlmConfig } from './flightllm/config.js';
export { dpuHostBackend, dpuHostTarget, DpuHostHardwareSchema, DPU_HOST_MODULES, simulateDpuHost, type DpuHostHardware, type DpuHostOptions } from './dpu-host/index.js';
export { rooflineBackend, rooflineTarget, RooflineHardwareSchema, ROOFLINE_MODULES, simulateRoofline, rooflineKernels, kernelsMs, type RooflineHardware, type Kernel } from './roofline/index.js';
