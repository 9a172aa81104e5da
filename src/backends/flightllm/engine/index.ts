export { simulateIr, simulateProgram, type SimulateOptions } from './simulate.js';
export { latencyModel, type LatencyModel } from './latency.js';
export { Engine, type EngineResult } from './engine.js';
