import { dtypeBits } from '../../dtype.js';
import type { LoweringTarget } from '../../compiler/target.js';
import type { FlightLlmHardware } from './schema.js';

const GIB = 2 ** 30;

/** What the compiler must respect on FlightLLM's architecture: one HBM holds everything. */
export function flightllmTarget(hw: FlightLlmHardware): LoweringTarget {
  return {
    blockSize: hw.sparsity.blockSize,
    blockSizeField: 'sparsity.blockSize',
    maxTokens: hw.sparsity.maxTokens,
    maxTokensField: 'sparsity.maxTokens',
    padTokens: hw.compiler.padTokens,
    memory: [{ name: 'HBM', field: 'hbm.totalSizeGiB', capacityBytes: hw.hbm.totalSizeGiB * GIB, holds: ['weights', 'kvCache', 'activations'] }],
    storesPrunedWeights: true,
    flightllmForms: true,
    kvBlockTokens: hw.kvCache.blockTokens,
    weightBits: (dtype) => hw.calibration.weightStreamBits[dtype] ?? dtypeBits(dtype),
  };
}
