export { compileModel, boardDefaultPrecision, maxTokensOf, tokenLimit, memoryUse, gib, type CompileOptions, type StageCompileOptions, type BatchCompileOptions, type CompiledIr, type TokenLimit, type Stage } from './compile.js';
export { lower, linearRoles, type LoweringInput, type Lowered, type LoweringParts, type LinearEngine, type LinearEngines, type LinearRole, type LayerTag } from './lower.js';
export { generateMask, generatedMasks, masksFor, maskGeometryOf, causalDensity } from './masks.js';
export { irToYaml, writeIr, writeMasks } from './write.js';
export { namingFor, maskParameterName, layerOfMaskParameter, type Naming } from './naming.js';
export type { MemoryPlan } from './memory.js';
export { planCards, cardMemory, refuseUnfit, type CardShare, type CardMemory } from './cards.js';
export { planMemory, blocksOf, checkKvFits, DEFAULT_MAX_BATCHED_TOKENS, type KvCapacity, type PlanMemoryOptions } from './capacity.js';
export { weightBitsOf, weightBitsPerElement, type CompileTarget, type LoweringTarget, type MemoryPool, type MemoryContent, type MaskGeometry, type PrecisionDtypes } from './target.js';
