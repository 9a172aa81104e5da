import type { Dtype } from '../dtype.js';
import type { Issue } from '../errors.js';
import type { Hardware } from './kinds.js';
import type { Ir, MaskLookup } from '../ir/index.js';
import type { Profile } from './flightllm/engine/simulate.js';
import type { TraceCallback } from './flightllm/engine/engine.js';

/*
 * One kind of hardware, everything the pipeline needs to know of it, behind
 * one interface: what the compiler must respect (tiling, padding, memories,
 * weight widths), how an IR is simulated on it, its peaks for the physical
 * bound, the modules it reports and the parameters worth perturbing. Each
 * kind lives in its own folder under src/backends/; a new kind is a new
 * folder and one line in the registry (src/backends/index.ts).
 */

export type MemoryContent = 'weights' | 'kvCache' | 'activations';

/** One memory a model must fit in, with the field its capacity comes from. */
export interface MemoryPool {
  readonly name: string;
  readonly field: string;
  readonly capacityBytes: number;
  readonly holds: readonly MemoryContent[];
}

/** What the compiler needs to know of a kind of hardware. */
export interface CompileTarget {
  /** Matrix dimensions must be multiples of this, named by `blockSizeField`. */
  readonly blockSize: number;
  readonly blockSizeField: string;
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
  /** Tokens per paged KV-cache block (hardware `kvCache.blockTokens`). */
  readonly kvBlockTokens: number;
  /** Bits a weight of this dtype is stored and streamed with, unless the model says otherwise. */
  weightBits(dtype: Dtype): number;
}

/** A matrix product as the bound sees it: `macs` multiply-accumulates of `a` × `b` operands. */
export interface BoundProduct {
  readonly kind: 'linear' | 'attention';
  readonly macs: number;
  readonly a: Dtype;
  readonly b: Dtype;
}

/** Peak figures of a board: what no schedule on it can beat. */
export interface Peaks {
  /** Bandwidth of the memory the weights stream from, bytes per second. */
  readonly bytesPerSecond: number;
  /** Multiply-accumulates per second at int8 × int8. */
  readonly macsPerSecond: number;
  /** Throughput for a product's operands relative to `macsPerSecond`. */
  rate(product: BoundProduct): number;
  /** Whether the bytes of the KV cache the step reads cross the memory the bandwidth belongs to. */
  readonly kvCacheInPeakMemory: boolean;
  /** Whether the engine the peak belongs to runs the product. */
  runs(product: BoundProduct): boolean;
  /** Edge of an attention-mask cell, where prefill attention is block-sparse. */
  readonly maskBlockTokens?: number | undefined;
}

export interface SimulationOptions {
  /** Attention masks (FlightLLM's prefill attention needs them). */
  readonly masks?: MaskLookup | undefined;
  /** The IR's file, for error messages. */
  readonly file?: string | undefined;
  /** Called for every instruction or operation with its module index, step and times. */
  readonly trace?: TraceCallback | undefined;
  /**
   * Tensors this IR reads that a layer outside it produced, with that layer's
   * type: a segment of a step simulated on its own. Kinds whose costs depend
   * on where data lives (a DPU card and its host) use it; others ignore it.
   */
  readonly producedOutside?: ReadonlyMap<string, Ir[number]['type']> | undefined;
}

export interface HardwareBackend<H extends Hardware = Hardware> {
  readonly kind: H['kind'];
  /** What a table's column calls a board of this kind after its name (`VHK158 FPGA`); empty for none. */
  readonly deviceLabel: string;
  /** The modules a profile reports, in report order (CSV rows, trace tracks). */
  readonly moduleNames: readonly string[];
  /** The module that is a host CPU's busy time, where the kind has one (its busy power applies while it runs). */
  readonly hostModule?: string | undefined;
  /** Continuous parameters `sensitivity` perturbs by default. */
  readonly sensitivityKeys: readonly string[];
  /** Consistency rules between values beyond the schema; every broken one as data. */
  check(hw: H): Issue[];
  /** The precision a model runs at when none is asked for and the board refuses the model's own (a GPU and FlightLLM's int8 mapping). */
  defaultPrecision?(hw: H): string | undefined;
  /** Why the hardware cannot run a model at this precision, or undefined when it can. */
  refusePrecision(hw: H, precision: PrecisionDtypes): string | undefined;
  /** What the compiler must respect on this hardware. */
  target(hw: H): CompileTarget;
  /**
   * The layout of block-sparse attention masks prefill attention reads, or
   * undefined where attention runs densely and needs no masks.
   */
  maskGeometry(hw: H): MaskGeometry | undefined;
  /** Peaks for the physical bound. */
  peaks(hw: H): Peaks;
  /** Simulates an IR: a FlightLLM stage file, a batched step or a segment of one. */
  simulate(ir: Ir, hw: H, options: SimulationOptions): Profile;
  /** How a token-wise step's cost grows with its rows (the fast cost path's tables follow it). */
  rowStructure(hw: H, step: RowStructureQuery): RowStructure;
  /**
   * Sequences whose rows the hardware runs side by side (a DPU's batch
   * lanes): token-wise costs depend on a batch's sequence count up to this
   * many, and only on its rows beyond it. 1 where only rows count.
   */
  parallelSequences(hw: H): number;
}

/** Where attention masks apply: cells of `maskBlockTokens` over a window of `maxTokens`. */
export interface MaskGeometry {
  readonly maxTokens: number;
  readonly maskBlockTokens: number;
}

/**
 * How a token-wise step's cost grows with its rows: by the same amount
 * every `periodRows` rows beyond two periods (one more row group of the
 * matrix engine, one more pass of the weights), and linearly between
 * multiples of `affineRows` (rows fill a tile already paid for). No period
 * where costs are not periodic (a roofline's max of two terms has a kink).
 */
export interface RowStructure {
  readonly periodRows: number | undefined;
  readonly affineRows: number;
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

/** The token-wise step a row structure is asked for. */
export interface RowStructureQuery {
  /** `mm`: matrix-matrix engine; `mv`: matrix-vector engine, row by row; `vector`: a norm or element-wise layer. */
  readonly engine: 'mm' | 'mv' | 'vector';
  /** Inner dimension of a linear layer (elements), or the row length of a vector layer. */
  readonly k: number;
}

/** Bits a weight streams with: its own `stream_bits`, else the hardware's convention for its dtype. */
export function weightBitsOf(weight: { readonly dtype: Dtype; readonly stream_bits?: number | undefined }, target: CompileTarget): number {
  return weight.stream_bits ?? target.weightBits(weight.dtype);
}

/** Bits streamed per weight element, its share of group-wise scales and zero points included. */
export function weightBitsPerElement(
  weight: { readonly dtype: Dtype; readonly stream_bits?: number | undefined; readonly group_size?: number | undefined; readonly group_bits?: number | undefined },
  target: CompileTarget,
): number {
  const groupShare = weight.group_size === undefined ? 0 : (weight.group_bits ?? 0) / weight.group_size;
  return weightBitsOf(weight, target) + groupShare;
}
