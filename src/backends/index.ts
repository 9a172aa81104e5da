import { DeviceFitError } from '../errors.js';
import { checkDesign, describeFitLine, type DesignFit, type FpgaDesign } from './fpga-design.js';
import { backendFor, type Hardware } from './registry.js';

/*
 * Hardware kinds, behind one interface (backend.ts), held by the registry
 * (registry.ts); board files are read by load.ts. Everything above this
 * folder asks a board's backend through the functions here.
 */

/** What the board's design asks of its FPGA device, or undefined where it is no FPGA or names no device. */
export function designOf(hw: Hardware): FpgaDesign | undefined {
  return backendFor(hw).design?.(hw);
}

/** The board's design checked against its device, or undefined where there is nothing to check. */
export function designFit(hw: Hardware): DesignFit | undefined {
  const design = designOf(hw);
  return design === undefined ? undefined : checkDesign(design);
}

/** Refuses a board whose design does not fit its device, naming every resource it exceeds. */
export function requireFit(hw: Hardware): void {
  const fit = designFit(hw);
  if (fit === undefined || fit.fits) return;
  throw new DeviceFitError({
    what: `${hw.name}'s design does not fit its device ${fit.device} (${fit.part})`,
    detail: `${fit.overflows.map(describeFitLine).join('; ')}.`,
  });
}

export {
  type HardwareBackend,
  type BoardDescription,
  type Peaks,
  type BoundProduct,
  type SimulationOptions,
  type RowStructure,
  type RowStructureQuery,
  type ServingDefaults,
} from './backend.js';
export type { Profile, StepProfile, ModuleFigures, TraceCallback } from './profile.js';
export { InterconnectSchema, TOPOLOGIES, COLLECTIVE_ALGORITHMS, type Interconnect, type Topology, type CollectiveAlgorithm } from './interconnect-schema.js';
export { backendFor, compileTarget, simulate, moduleNamesOf, registerBackend, unregisterBackend, hardwareKinds, checkHardware, parseBoard, withDefaultKind, DEFAULT_KIND, type Hardware, type HardwareKind } from './registry.js';
export { CalibrationSchema, type Calibration as BoardCalibration } from './calibration-schema.js';
export { loadHardware, parseHardware, shippedHardwareNames, hardwarePath, hardwareSources, type LoadHardwareOptions } from './load.js';
export { FpgaDeviceSchema, FPGA_RESOURCES, RESOURCE_LABELS, type FpgaDevice, type FpgaResource } from './fpga-device.js';
export { checkDesign, describeFitLine, totalResources, FIT_ITEMS, type DesignFit, type FitLine, type FitItem, type FpgaDesign, type DesignPart, type ResourceCounts } from './fpga-design.js';
export { flightllmBackend, flightllmTarget, FlightLlmHardwareSchema, type FlightLlmHardware } from './flightllm/index.js';
export { FlightLlmConfigSchema, type FlightLlmConfig } from './flightllm/config.js';
export { dpuHostBackend, dpuHostTarget, DpuHostHardwareSchema, DPU_HOST_MODULES, simulateDpuHost, type DpuHostHardware, type DpuHostOptions } from './dpu-host/index.js';
export { rooflineBackend, rooflineTarget, RooflineHardwareSchema, ROOFLINE_MODULES, simulateRoofline, rooflineKernels, kernelsMs, loadStack, stackOverrides, shippedStackNames, StackFileSchema, type RooflineHardware, type Kernel, type Stack, type StackSettings, type StackServing } from './roofline/index.js';
export { modelOnBoard, withPrecision, precisionLabel, modelLabel, deviceLabel, type ModelOnBoard, type PrecisionRequest } from './model-on-board.js';
// FlightLLM's wing, as the rest of the package sees it: its ISA, instruction generator and engine.
export * from './flightllm/isa/index.js';
export * from './flightllm/instgen/index.js';
export * from './flightllm/engine/index.js';
