import type { Dtype } from '../dtype.js';
import type { Issue } from '../errors.js';
import type { z } from 'zod';
import type { Ir, MaskLookup } from '../ir/index.js';
import type { LoweringTarget, MaskGeometry, PrecisionDtypes } from '../compiler/target.js';
import type { FpgaDesign } from './fpga-design.js';
import type { Profile, TraceCallback } from './profile.js';

/*
 * One kind of hardware, everything the pipeline needs to know of it, behind
 * one interface: what the compiler must respect (tiling, padding, memories,
 * weight widths), how an IR is simulated on it, its peaks for the physical
 * bound, the modules it reports and the parameters worth perturbing. Each
 * kind lives in its own folder under src/backends/; a new kind is a new
 * folder and one line in the registry (src/backends/index.ts), or a call of
 * `registerBackend` (docs/architecture.md says how).
 */

/** What a board description of every kind has: its kind, which picks its backend, and its name. */
export interface BoardDescription {
  readonly kind: string;
  readonly name: string;
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

export interface HardwareBackend<H extends BoardDescription> {
  readonly kind: H['kind'];
  /** The schema of a board file of this kind (its `kind:` field included). */
  readonly schema: z.ZodType<H>;
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
  /**
   * Whether the board's tool flow quantises every checkpoint to its default
   * precision (FlightLLM's compiler, Vitis AI), so that a Hugging Face
   * checkpoint's bfloat16 is how it was saved, not how it runs.
   */
  readonly quantizesCheckpoints?: boolean | undefined;
  /** Why the hardware cannot run a model at this precision, or undefined when it can. */
  refusePrecision(hw: H, precision: PrecisionDtypes): string | undefined;
  /** What the compiler must respect on this hardware. */
  target(hw: H): LoweringTarget;
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
  /**
   * What the board's design asks of its FPGA device (resources, clock,
   * memory), for the device check and the FPGA power model; undefined for
   * a kind that is not an FPGA or a board that names no device.
   */
  design?(hw: H): FpgaDesign | undefined;
  /** The scheduler defaults of the board's software stack (a GPU's `--stack`), where it has one. */
  servingDefaults?(hw: H): ServingDefaults | undefined;
}

/**
 * A software stack's scheduler defaults, vLLM's names: sequences per step,
 * tokens per step (`max-model-len`: the longest sequence, at least 2048, as
 * vLLM without chunked prefill), whether prompts are chunked, whether
 * equal prompt prefixes share KV blocks.
 */
export interface ServingDefaults {
  readonly maxNumSeqs?: number | undefined;
  readonly maxNumBatchedTokens?: number | 'max-model-len' | undefined;
  readonly enableChunkedPrefill?: boolean | undefined;
  readonly enablePrefixCaching?: boolean | undefined;
  readonly guaranteeNoEvict?: boolean | undefined;
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

/** The token-wise step a row structure is asked for. */
export interface RowStructureQuery {
  /** `mm`: matrix-matrix engine; `mv`: matrix-vector engine, row by row; `vector`: a norm or element-wise layer. */
  readonly engine: 'mm' | 'mv' | 'vector';
  /** Inner dimension of a linear layer (elements), or the row length of a vector layer. */
  readonly k: number;
}
