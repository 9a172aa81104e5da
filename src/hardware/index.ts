export { HardwareSchema, type Hardware } from './schema.js';
export { loadHardware, parseHardware, type LoadHardwareOptions } from './load.js';
export { checkHardware } from './checks.js';
export { resolveExpressions, hasExpressions } from './expressions.js';
export { FlightLlmConfigSchema, type FlightLlmConfig } from './flightllm.js';
