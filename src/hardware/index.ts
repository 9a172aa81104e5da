export { FlightLlmHardwareSchema, type FlightLlmHardware } from '../backends/flightllm/schema.js';
export { DpuHostHardwareSchema, type DpuHostHardware } from '../backends/dpu-host/schema.js';
export { HardwareSchema, HARDWARE_KINDS, type Hardware, type HardwareKind } from '../backends/kinds.js';
export { loadHardware, parseHardware, checkHardware, shippedHardwareNames, hardwarePath, type LoadHardwareOptions } from '../backends/load.js';
export { RooflineHardwareSchema, type RooflineHardware } from '../backends/roofline/schema.js';
export { resolveExpressions, hasExpressions } from './expressions.js';
export { FlightLlmConfigSchema, type FlightLlmConfig } from '../backends/flightllm/config.js';
