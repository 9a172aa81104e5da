export { simulate, moduleNamesOf, type SimulationOptions } from './dispatch.js';
export { simulateIr, simulateProgram, type Profile, type StepProfile, type ModuleFigures, type SimulateOptions } from './simulate.js';
export { simulateDpuHost, DPU_HOST_MODULES, type DpuHostOptions } from './dpu-host.js';
export { latencyModel, type LatencyModel } from './latency.js';
export { Engine, type EngineResult, type TraceCallback } from './engine.js';
export { profileToCsv, parseProfileCsv, PROFILE_CSV_HEADER, type ProfileCsvRow } from './csv.js';
export { TraceWriter, type TraceOptions } from './trace.js';
