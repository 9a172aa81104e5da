export {
  ModelSchema,
  ArchitectureSchema,
  MappingSchema,
  AttentionMasksSchema,
  PrecisionSchema,
  PROJECTIONS,
  MASK_PATTERNS,
  PRECISION_PRESETS,
  PRECISION_PRESET_NAMES,
  type Precision,
  type PrecisionPreset,
  type Model, type Architecture, type Mapping, type AttentionMasks, type Projection, type MaskPattern } from './schema.js';
export { loadModel, parseModel, checkArchitecture, shippedModelNames, type LoadedModel } from './load.js';
export { modelDims, type ModelDims } from './dims.js';
