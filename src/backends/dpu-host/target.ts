import { dtypeBits } from '../../dtype.js';
import type { LoweringTarget } from '../../compiler/target.js';
import type { DpuHostHardware } from './schema.js';

const GIB = 2 ** 30;

/**
 * What the compiler must respect on a DPU card with its host: weights in the
 * DDR channels the kernels read, KV cache and activations in host memory.
 */
export function dpuHostTarget(hw: DpuHostHardware): LoweringTarget {
  return {
    blockSize: 1,
    blockSizeField: 'dpu',
    vectorRowElements: 1,
    maxTokens: hw.compiler.maxTokens,
    maxTokensField: 'compiler.maxTokens',
    padTokens: hw.compiler.padTokens,
    memory: [
      {
        // A kernel reads weights from its own DDR channels only, so only those channels can hold them.
        name: `the DDR channels of its ${hw.dpu.kernels} DPU kernel${hw.dpu.kernels === 1 ? '' : 's'}`,
        field: 'dpu.kernels × dpu.ddrChannelsPerKernel × card.ddr.channelSizeGiB',
        capacityBytes: hw.dpu.kernels * hw.dpu.ddrChannelsPerKernel * hw.card.ddr.channelSizeGiB * GIB,
        holds: ['weights'],
      },
      { name: 'host memory', field: 'host.memoryGiB', capacityBytes: hw.host.memoryGiB * GIB, holds: ['kvCache', 'activations'] },
    ],
    // The DPU has no sparse mode.
    storesPrunedWeights: false,
    flightllmForms: true,
    kvBlockTokens: hw.kvCache.blockTokens,
    // The DPU's linear kernels take one weight matrix.
    groupedLinear: false,
    weightBits: (dtype) => dtypeBits(dtype),
  };
}
