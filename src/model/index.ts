export {
  ModelSchema,
  ArchitectureSchema,
  MappingSchema,
  AttentionMasksSchema,
  PrecisionSchema,
  ExpertLoadSchema,
  PROJECTIONS,
  MASK_PATTERNS,
  PRECISION_PRESETS,
  PRECISION_PRESET_NAMES,
  EXPERT_FIELDS,
  LATENT_ATTENTION_FIELDS,
  type Precision,
  type PrecisionPreset,
  type ExpertLoad,
  type Model, type Architecture, type Mapping, type AttentionMasks, type Projection, type MaskPattern } from './schema.js';
export { loadModel, parseModel, checkArchitecture, shippedModelNames, type LoadedModel } from './load.js';
export { modelDims, weightMatrices, parameterCounts, isSparseLayer, MATRIX_ROLES, type ModelDims, type ExpertDims, type LatentAttentionDims, type WeightMatrix, type MatrixRole } from './dims.js';
export { routeTokens, expectedActiveExperts, inclusionProbabilities, formatExpertLoad, parseExpertLoad, summarizeRouting, withExpertLoad, type ExpertRouting, type ExpertStepSummary } from './experts.js';
