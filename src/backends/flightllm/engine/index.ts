export { simulateIr, simulateProgram, type Profile, type StepProfile, type ModuleFigures, type SimulateOptions } from './simulate.js';
export { latencyModel, type LatencyModel } from './latency.js';
export { Engine, type EngineResult, type TraceCallback } from './engine.js';
export { profileToCsv, parseProfileCsv, PROFILE_CSV_HEADER, type ProfileCsvRow } from '../../../profiler/csv.js';
export { TraceWriter, type TraceOptions } from '../../../profiler/trace.js';
