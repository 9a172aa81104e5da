import { z } from 'zod';
import { DTYPES } from '../../dtype.js';
import { PRECISION_PRESET_NAMES } from '../../model/schema.js';
import { CalibrationSchema } from '../calibration-schema.js';
import { EnergySchema, PriceSchema } from '../energy-schema.js';
import { InterconnectSchema } from '../interconnect-schema.js';
import { KvCacheSchema } from '../kv-cache-schema.js';
import { StackSettingsSchema } from './stack-schema.js';

/*
 * A GPU or an ASIC modelled operator by operator (`kind: roofline`): each
 * kernel takes the longer of its bytes over the memory's bandwidth and its
 * operations over the compute peak for its type, each derated by an
 * efficiency per operator class, plus a launch cost. Efficiencies are what
 * calibration fits to measurements.
 */

const positive = z.number().positive();
const positiveInt = z.number().int().positive();
const fraction = z.number().positive().max(1);
const Dtype = z.enum(DTYPES);

export const RooflineHardwareSchema = z.strictObject({
  kind: z.literal('roofline'),
  name: z.string().min(1),
  /** What tables, figures and titles call the board (`A100 80GB SXM`); default its name in capitals and its kind (`VHK158 FPGA`). */
  displayName: z.string().min(1).optional(),
  description: z.string().optional(),
  memory: z
    .strictObject({
    /** Device memory, GiB (NVIDIA's "80GB" is 80 GiB). */
    capacityGiB: positive,
    /** Peak bandwidth, GB/s (10^9 bytes). */
    bandwidthGBps: positive,
    /** HBM2e, GDDR6, LPDDR5X…: informational. */
    technology: z.string().min(1),
    /** Share of the memory the serving stack may use (vLLM's --gpu-memory-utilization, 0.9 by default). */
    usableFraction: fraction.default(0.9),
    /**
     * Share of what weights and activations leave of the usable memory that
     * the KV cache takes (TensorRT-LLM's kv_cache_free_gpu_mem_fraction);
     * absent: all of it (vLLM sizes the whole by usableFraction instead).
     */
    kvCacheFreeFraction: fraction.optional(),
    /**
     * Memory the serving runtime keeps on each card beyond the weights, the KV
     * cache and the largest step's activations (its CUDA context, library
     * workspaces, the engine's own buffers), GiB; taken off the usable memory
     * before the KV cache is sized. Default 0.
     */
    reservedGiB: z.number().nonnegative().default(0),
  })
    .superRefine((memory, context) => {
      const usableGiB = memory.capacityGiB * memory.usableFraction;
      if (memory.reservedGiB >= usableGiB) context.addIssue({ code: 'custom', path: ['reservedGiB'], input: memory.reservedGiB, message: `expected less than the usable memory (capacityGiB × usableFraction = ${usableGiB} GiB)` });
    }),
  compute: z.strictObject({
    /**
     * Dense peak, tera-operations per second (a multiply-accumulate is two),
     * by the type the engine multiplies in: an activation's type (weights
     * narrower than it are widened first).
     */
    peakTops: z.partialRecord(Dtype, positive),
    /**
     * Peak of the general-purpose cores (CUDA cores, vector units), tera-
     * operations per second: where weight-only kernels widen their narrow
     * weights (`dequantization`). Optional where no weight-only precision runs.
     */
    vectorTops: positive.optional(),
    /**
     * Streaming multiprocessors (NVIDIA) or compute units (AMD, Hygon): the
     * cores a GEMM's output tiles (`gemmTile`) are dealt out to, one tile
     * each at a time. Absent: every kernel is taken to keep the whole chip
     * busy (no wave quantisation).
     */
    multiprocessors: positiveInt.optional(),
  }),
  /**
   * The output tile one multiprocessor computes of a projection's GEMM (its
   * kernel library's thread-block shape): rows of tokens by columns of
   * output features. A GEMM of M tokens and N features has
   * ⌈M / tokens⌉ × ⌈N / features⌉ tiles per matrix, run in waves of
   * `compute.multiprocessors`, a wave as long as a full tile (a GEMM
   * smaller than a tile: one its own size); idle multiprocessors and padded
   * tiles cost compute time (src/backends/roofline/waves.ts). Absent (or
   * without compute.multiprocessors): no waves.
   */
  gemmTile: z.strictObject({ tokens: positiveInt, features: positiveInt }).optional(),
  /** The precision presets the board runs (its software stack's quantisation support). */
  precisions: z.array(z.enum(PRECISION_PRESET_NAMES as [string, ...string[]])).min(1),
  /** KV-cache element types the stack stores. */
  kvCacheDtypes: z.array(Dtype).min(1),
  efficiency: z.strictObject({
    /**
     * Projections: fraction of the bandwidth and of the compute peak a
     * kernel sustains; `fp8Compute`, of the FP8 peak where FP8 GEMMs sustain
     * another fraction of theirs than the others do (absent: `compute`).
     */
    linear: z.strictObject({ memory: fraction, compute: fraction, fp8Compute: fraction.optional() }),
    /** Fused attention (scores kept on chip). */
    attention: z.strictObject({ memory: fraction, compute: fraction }),
    /** Norms, element-wise kernels, the KV-cache append: memory-bound. */
    vector: z.strictObject({ memory: fraction }),
    /**
     * A mixture of experts' routed experts, run as grouped GEMMs (fused MoE)
     * whose kernels sustain other fractions of the peaks than dense
     * projections do; each absent fraction is the linear one.
     */
    experts: z.strictObject({ memory: fraction.optional(), compute: fraction.optional() }).optional(),
  }),
  /** Fixed cost of one kernel, µs (launch and synchronisation). */
  kernelLaunchUs: z.number().nonnegative(),
  /**
   * Weight-only kernels (int8 or int4 weights, fp16 or bf16 activations)
   * widen every weight element before multiplying, and apply its group's
   * scale and zero point: operations on the vector cores
   * (`compute.vectorTops`) that the weight loads do not hide. Absent: free.
   */
  dequantization: z
    .strictObject({
      /** Operations per weight element widened (unpack, convert, scale). */
      opsPerElement: z.number().nonnegative(),
      /** Operations per quantisation group (loading and applying its scale and zero point). */
      opsPerGroup: z.number().nonnegative().default(0),
    })
    .optional(),
  /**
   * The software stack the board runs (hardware/stacks/*.yaml, chosen with
   * `--stack`): host time between kernels that no kernel accounts for, and
   * the serving defaults of its scheduler. Absent: none (the board's
   * calibration absorbed it, as a100-80gb-sxm-vllm's launch cost does).
   */
  stack: StackSettingsSchema.optional(),
  compiler: z.strictObject({
    /** Longest sequence the deployment serves (max_model_len). */
    maxTokens: positiveInt,
  }),
  kvCache: KvCacheSchema,
  energy: EnergySchema.optional(),
  price: PriceSchema.optional(),
  /** Links to other cards of the kind; absent: the board runs on one card only. */
  interconnect: InterconnectSchema.optional(),
  /** The measurements that calibrated the board, and its error on them. */
  calibratedOn: CalibrationSchema.optional(),
});

export type RooflineHardware = z.infer<typeof RooflineHardwareSchema>;
