import { dtypeBits, type Dtype } from '../dtype.js';
import type { DpuHostHardware } from './dpu-host-schema.js';
import type { Hardware } from './kinds.js';
import type { FlightLlmHardware } from './schema.js';

/*
 * What the compiler needs to know of any kind of hardware: the unit every
 * matrix dimension is tiled in, the lengths it lays memory out for, where
 * weights, KV cache and activations live, and how wide weights are stored.
 */

export type MemoryContent = 'weights' | 'kvCache' | 'activations';

/** One memory a model must fit in, with the field its capacity comes from. */
export interface MemoryPool {
  readonly name: string;
  readonly field: string;
  readonly capacityBytes: number;
  readonly holds: readonly MemoryContent[];
}

export interface CompileTarget {
  /** Matrix dimensions must be multiples of this, named by `blockSizeField`. */
  readonly blockSize: number;
  readonly blockSizeField: string;
  /** Longest sequence the hardware is laid out for, named by `maxTokensField`. */
  readonly maxTokens: number;
  readonly maxTokensField: string;
  /** Token counts lengths are rounded up to. */
  readonly padTokens: { readonly prefill: number; readonly decode: number };
  readonly memory: readonly MemoryPool[];
  /** Whether pruned weights are stored (and streamed) as their kept values only; otherwise densely. */
  readonly storesPrunedWeights: boolean;
  /** Bits a weight of this dtype is stored and streamed with, unless the model says otherwise. */
  weightBits(dtype: Dtype): number;
}

const GIB = 2 ** 30;

const TARGETS: { [K in Hardware['kind']]: (hw: Extract<Hardware, { kind: K }>) => CompileTarget } = {
  flightllm: (hw: FlightLlmHardware) => ({
    blockSize: hw.sparsity.blockSize,
    blockSizeField: 'sparsity.blockSize',
    maxTokens: hw.sparsity.maxTokens,
    maxTokensField: 'sparsity.maxTokens',
    padTokens: hw.compiler.padTokens,
    memory: [{ name: 'HBM', field: 'hbm.totalSizeGiB', capacityBytes: hw.hbm.totalSizeGiB * GIB, holds: ['weights', 'kvCache', 'activations'] }],
    storesPrunedWeights: true,
    weightBits: (dtype) => hw.calibration.weightStreamBits[dtype] ?? dtypeBits(dtype),
  }),
  'dpu-host': (hw: DpuHostHardware) => ({
    blockSize: 1,
    blockSizeField: 'dpu',
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
    weightBits: (dtype) => dtypeBits(dtype),
  }),
};

export function compileTarget(hw: Hardware): CompileTarget {
  return (TARGETS[hw.kind] as (hw: Hardware) => CompileTarget)(hw);
}

/** Bits a weight streams with: its own `stream_bits`, else the hardware's convention for its dtype. */
export function weightBitsOf(weight: { readonly dtype: Dtype; readonly stream_bits?: number | undefined }, target: CompileTarget): number {
  return weight.stream_bits ?? target.weightBits(weight.dtype);
}
