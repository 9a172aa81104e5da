/*
 * Hardware kinds, behind one interface (backend.ts), held by the registry
 * (registry.ts); board files are read by load.ts. Everything above this
 * folder asks a board's backend through the functions here.
 */

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
export { backendFor, compileTarget, simulate, moduleNamesOf, registerBackend, unregisterBackend, hardwareKinds, checkHardware, parseBoard, withDefaultKind, DEFAULT_KIND, type Hardware, type HardwareKind } from './registry.js';
export { loadHardware, parseHardware, shippedHardwareNames, hardwarePath, hardwareSources, type LoadHardwareOptions } from './load.js';
export { flightllmBackend, flightllmTarget, FlightLlmHardwareSchema, type FlightLlmHardware } from './flightllm/index.js';
export { FlightLlmConfigSchema, type FlightLlmConfig } from './flightllm/config.js';
export { dpuHostBackend, dpuHostTarget, DpuHostHardwareSchema, DPU_HOST_MODULES, simulateDpuHost, type DpuHostHardware, type DpuHostOptions } from './dpu-host/index.js';
export { rooflineBackend, rooflineTarget, RooflineHardwareSchema, ROOFLINE_MODULES, simulateRoofline, rooflineKernels, kernelsMs, type RooflineHardware, type Kernel } from './roofline/index.js';
export { modelOnBoard, withPrecision, precisionLabel, modelLabel, deviceLabel, type ModelOnBoard, type PrecisionRequest } from './model-on-board.js';
