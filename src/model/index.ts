export { ModelSchema, ArchitectureSchema, MappingSchema, AttentionMasksSchema, PROJECTIONS, MASK_PATTERNS, type Model, type Architecture, type Mapping, type AttentionMasks, type Projection, type MaskPattern } from './schema.js';
export { loadModel, parseModel, checkArchitecture, type LoadedModel } from './load.js';
export { modelDims, weightMatrices, type ModelDims } from './dims.js';
