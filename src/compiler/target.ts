import type { Dtype } from '../dtype.js';

/*
 * What the compiler needs to know of a board, declared here and filled in
 * by each kind of hardware (src/backends/<kind>/target.ts); the registry
 * (src/backends/index.ts) adds what is the board's own, its name, its masks
 * and the precisions it runs, to make a CompileTarget.
 */

export type MemoryContent = 'weights' | 'kvCache' | 'activations';

/** One memory a model must fit in, with the field its capacity comes from. */
export interface MemoryPool {
  readonly name: string;
  readonly field: string;
  readonly capacityBytes: number;
  /**
   * Share of what weights and activations leave that the KV cache takes
   * (TensorRT-LLM's kv_cache_free_gpu_mem_fraction); default all of it.
   */
  readonly kvShareOfFree?: number | undefined;
  readonly holds: readonly MemoryContent[];
}

/** Where attention masks apply: cells of `maskBlockTokens` over a window of `maxTokens`. */
export interface MaskGeometry {
  readonly maxTokens: number;
  readonly maskBlockTokens: number;
}

/** What a precision asks of the hardware: the element types it computes and stores. */
export interface PrecisionDtypes {
  /** The named precision it starts from (boards that list the presets their software stack runs check it). */
  readonly preset?: string | undefined;
  readonly weights: Dtype;
  readonly activations: Dtype;
  readonly kvCache: Dtype;
  /** Group-wise scales and zero points (GPTQ, AWQ). */
  readonly group?: { readonly size: number; readonly bits: number } | undefined;
}

/** What lowering a model must respect on a kind of hardware: tiling, padding, memories, weight widths. */
export interface LoweringTarget {
  /** Matrix dimensions must be multiples of this, named by `blockSizeField`. */
  readonly blockSize: number;
  readonly blockSizeField: string;
  /** Vector layers' rows are whole multiples of this many elements (FlightLLM's global-buffer line); default 1, any length. */
  readonly vectorRowElements?: number | undefined;
  /** Longest sequence the hardware is laid out for, named by `maxTokensField`. */
  readonly maxTokens: number;
  readonly maxTokensField: string;
  /** Token counts FlightLLM-style stages are rounded up to. */
  readonly padTokens: { readonly prefill: number; readonly decode: number };
  readonly memory: readonly MemoryPool[];
  /** Whether pruned weights are stored (and streamed) as their kept values only; otherwise densely. */
  readonly storesPrunedWeights: boolean;
  /**
   * Whether a lone prompt or a lone decode lowers in FlightLLM's forms (its
   * prefill runs the head over every prompt row); otherwise every step is
   * lowered in the batched form, the head over each sequence's last row, as
   * serving stacks run it.
   */
  readonly flightllmForms: boolean;
  /**
   * Whether attention's scores stay on chip (a fused kernel, FlashAttention's
   * way), so that serving reserves no memory for them; default false.
   */
  readonly scoresStayOnChip?: boolean | undefined;
  /** Tokens per paged KV-cache block (hardware `kvCache.blockTokens`). */
  readonly kvBlockTokens: number;
  /**
   * Whether the kind runs a linear layer of one weight matrix per head
   * ([heads, K, N] weights: latent attention's absorbed up-projections) as
   * one batched product; kinds that do not (the default) refuse latent attention.
   */
  readonly groupedLinear?: boolean | undefined;
  /** Bits a weight of this dtype is stored and streamed with, unless the model says otherwise. */
  weightBits(dtype: Dtype): number;
}

/** Everything the compiler asks of one board. */
export interface CompileTarget extends LoweringTarget {
  /** The board's name, for messages. */
  readonly boardName: string;
  /** The layout of block-sparse attention masks, or undefined where attention runs densely. */
  readonly maskGeometry: MaskGeometry | undefined;
  /** Why the board cannot run this precision, or undefined when it can. */
  refusePrecision(precision: PrecisionDtypes): string | undefined;
  /** The precision preset a model runs at when the board refuses its own (a GPU given FlightLLM's int8 mapping), if the board names one. */
  readonly defaultPrecision: string | undefined;
  /** Whether the board runs a checkpoint at its default precision whatever the checkpoint's dtype (FlightLLM's flow quantises every model). */
  readonly quantizesCheckpoints: boolean;
}

/** Bits a weight streams with: its own `stream_bits`, else the hardware's convention for its dtype. */
export function weightBitsOf(weight: { readonly dtype: Dtype; readonly stream_bits?: number | undefined }, target: LoweringTarget): number {
  return weight.stream_bits ?? target.weightBits(weight.dtype);
}

/** Bits streamed per weight element, its share of group-wise scales and zero points included. */
export function weightBitsPerElement(
  weight: { readonly dtype: Dtype; readonly stream_bits?: number | undefined; readonly group_size?: number | undefined; readonly group_bits?: number | undefined },
  target: LoweringTarget,
): number {
  const groupShare = weight.group_size === undefined ? 0 : (weight.group_bits ?? 0) / weight.group_size;
  return weightBitsOf(weight, target) + groupShare;
}
