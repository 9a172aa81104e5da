export { compileModel, maxTokensOf, memoryUse, gib, type CompileOptions, type CompiledIr } from './compile.js';
export { lower, type Stage, type LoweringInput, type Lowered } from './lower.js';
export { generateMask, generatedMasks, masksFor, maskGeometryOf, causalDensity } from './masks.js';
export { irToYaml, writeIr, writeMasks } from './write.js';
export type { MemoryPlan } from './memory.js';
