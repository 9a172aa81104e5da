export {
  IrSchema,
  LayerSchema,
  TensorSchema,
  ParamSchema,
  DTYPES,
  type Ir,
  type Layer,
  type LayerType,
  type LayerOf,
  type Tensor,
  type Param,
  type Dtype,
} from './schema.js';
export { loadIr, parseIr, type LoadIrOptions } from './load.js';
export { loadMask, maskDirectory, defaultMaskDirectory, type AttentionMask, type MaskLookup } from './masks.js';
export { declaredBatch } from './batch.js';
export { planSteps, stepName, layerLabel, type Step, type ComputeLayer, type ComputeType } from './steps.js';
export { causalAttentionMacs, chunkExtent } from './attention.js';
