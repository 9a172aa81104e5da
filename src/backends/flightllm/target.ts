import { dtypeBits } from '../../dtype.js';
import type { LoweringTarget } from '../../compiler/target.js';
import type { FlightLlmHardware } from './schema.js';

const GIB = 2 ** 30;

/** What the compiler must respect on FlightLLM's architecture: one HBM holds everything. */
export function flightllmTarget(hw: FlightLlmHardware): LoweringTarget {
  return {
    blockSize: hw.sparsity.blockSize,
    blockSizeField: 'sparsity.blockSize',
    // The vector engine reads rows in whole lines of the global buffer (instgen/layers/misc.ts).
    vectorRowElements: hw.buffers.global.channelWidthBytes.misc * hw.buffers.global.hbmChannels.count,
    maxTokens: hw.sparsity.maxTokens,
    maxTokensField: 'sparsity.maxTokens',
    padTokens: hw.compiler.padTokens,
    memory: [{ name: 'HBM', field: 'hbm.totalSizeGiB', capacityBytes: hw.hbm.totalSizeGiB * GIB, holds: ['weights', 'kvCache', 'activations'] }],
    storesPrunedWeights: true,
    flightllmForms: true,
    kvBlockTokens: hw.kvCache.blockTokens,
    // The instruction generator tiles one weight matrix per linear layer.
    groupedLinear: false,
    weightBits: (dtype) => hw.calibration.weightStreamBits[dtype] ?? dtypeBits(dtype),
  };
}
