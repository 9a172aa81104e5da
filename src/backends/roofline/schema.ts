import { z } from 'zod';
import { DTYPES } from '../../dtype.js';
import { PRECISION_PRESET_NAMES } from '../../model/schema.js';
import { EnergySchema, PriceSchema } from '../energy-schema.js';
import { InterconnectSchema } from '../interconnect-schema.js';
import { KvCacheSchema } from '../kv-cache-schema.js';

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
  memory: z.strictObject({
    /** Device memory, GiB (NVIDIA's "80GB" is 80 GiB). */
    capacityGiB: positive,
    /** Peak bandwidth, GB/s (10^9 bytes). */
    bandwidthGBps: positive,
    /** HBM2e, GDDR6, LPDDR5X…: informational. */
    technology: z.string().min(1),
    /** Share of the memory the serving stack may use (vLLM's --gpu-memory-utilization, 0.9 by default). */
    usableFraction: fraction.default(0.9),
  }),
  compute: z.strictObject({
    /**
     * Dense peak, tera-operations per second (a multiply-accumulate is two),
     * by the type the engine multiplies in: an activation's type (weights
     * narrower than it are widened first).
     */
    peakTops: z.partialRecord(Dtype, positive),
  }),
  /** The precision presets the board runs (its software stack's quantisation support). */
  precisions: z.array(z.enum(PRECISION_PRESET_NAMES as [string, ...string[]])).min(1),
  /** KV-cache element types the stack stores. */
  kvCacheDtypes: z.array(Dtype).min(1),
  efficiency: z.strictObject({
    /** Projections: fraction of the bandwidth and of the compute peak a kernel sustains. */
    linear: z.strictObject({ memory: fraction, compute: fraction }),
    /** Fused attention (scores kept on chip). */
    attention: z.strictObject({ memory: fraction, compute: fraction }),
    /** Norms, element-wise kernels, the KV-cache append: memory-bound. */
    vector: z.strictObject({ memory: fraction }),
  }),
  /** Fixed cost of one kernel, µs (launch and synchronisation). */
  kernelLaunchUs: z.number().nonnegative(),
  compiler: z.strictObject({
    /** Longest sequence the deployment serves (max_model_len). */
    maxTokens: positiveInt,
  }),
  kvCache: KvCacheSchema,
  energy: EnergySchema.optional(),
  price: PriceSchema.optional(),
  /** Links to other cards of the kind; absent: the board runs on one card only. */
  interconnect: InterconnectSchema.optional(),
});

export type RooflineHardware = z.infer<typeof RooflineHardwareSchema>;
