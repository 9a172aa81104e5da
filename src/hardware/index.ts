export { FlightLlmHardwareSchema, type FlightLlmHardware } from './schema.js';
export { DpuHostHardwareSchema, type DpuHostHardware } from './dpu-host-schema.js';
export { HardwareSchema, HARDWARE_KINDS, type Hardware, type HardwareKind } from './kinds.js';
export { loadHardware, parseHardware, shippedHardwareNames, type LoadHardwareOptions } from './load.js';
export { checkHardware } from './checks.js';
export { resolveExpressions, hasExpressions } from './expressions.js';
export { FlightLlmConfigSchema, type FlightLlmConfig } from './flightllm.js';
export { compileTarget, weightBitsOf, type CompileTarget, type MemoryPool, type MemoryContent } from './target.js';
