import { dtypeBits } from '../../dtype.js';
import type { LoweringTarget } from '../../compiler/target.js';
import type { RooflineHardware } from './schema.js';

const GIB = 2 ** 30;

/** The device memory weights, KV cache and activations share: the usable share, less what the runtime reserves. */
function deviceMemory(hw: RooflineHardware): LoweringTarget['memory'][number] {
  const { capacityGiB, usableFraction, reservedGiB, kvCacheFreeFraction } = hw.memory;
  const field = reservedGiB > 0 ? 'memory.capacityGiB × memory.usableFraction − memory.reservedGiB' : 'memory.capacityGiB × memory.usableFraction';
  return { name: 'the device memory the serving stack may use', field, capacityBytes: (capacityGiB * usableFraction - reservedGiB) * GIB, kvShareOfFree: kvCacheFreeFraction, holds: ['weights', 'kvCache', 'activations'] };
}

/**
 * What the compiler must respect on a GPU or ASIC: no tiling constraint,
 * exact token counts, one device memory for weights, KV cache and
 * activations, weights stored densely at their type's width.
 */
export function rooflineTarget(hw: RooflineHardware): LoweringTarget {
  return {
    blockSize: 1,
    blockSizeField: 'compute',
    vectorRowElements: 1,
    maxTokens: hw.compiler.maxTokens,
    maxTokensField: 'compiler.maxTokens',
    padTokens: { prefill: 1, decode: 1 },
    memory: [deviceMemory(hw)],
    // Dense kernels: pruned weights are streamed like the others.
    storesPrunedWeights: false,
    flightllmForms: false,
    // QKᵀ and S·V run as one kernel (simulate.ts): no score matrix in device memory.
    scoresStayOnChip: true,
    kvBlockTokens: hw.kvCache.blockTokens,
    // A batched GEMM (cuBLAS, a fused MLA kernel) runs every head's matrix at once.
    groupedLinear: true,
    weightBits: (dtype) => dtypeBits(dtype),
  };
}
