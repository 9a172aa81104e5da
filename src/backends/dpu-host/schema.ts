import { z } from 'zod';
import { DTYPES } from '../../dtype.js';
import { EnergySchema, PriceSchema } from '../energy-schema.js';
import { FpgaDeviceSchema } from '../fpga-device.js';
import { InterconnectSchema } from '../interconnect-schema.js';
import { KvCacheSchema } from '../kv-cache-schema.js';

/*
 * A card whose CNN engine (a DPU such as the DPUCADF8H) runs the linear
 * layers while a host CPU runs everything else, with PCIe between them
 * (`kind: dpu-host`). Modelled operator by operator, not instruction by
 * instruction: see hardware/README.md.
 */

const positive = z.number().positive();
const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();
const fraction = z.number().positive().max(1);
const Dtype = z.enum(DTYPES);

export const DpuHostHardwareSchema = z.strictObject({
  kind: z.literal('dpu-host'),
  name: z.string().min(1),
  /** What tables, figures and titles call the board (`A100 80GB SXM`); default its name in capitals and its kind (`VHK158 FPGA`). */
  displayName: z.string().min(1).optional(),
  description: z.string().optional(),
  card: z.strictObject({
    /** Super logic regions of the FPGA; informational. */
    slrCount: positiveInt,
    /** The card's DDR, where the DPU's weights live. */
    ddr: z.strictObject({
      channels: positiveInt,
      channelSizeGiB: positive,
      totalSizeGiB: positive,
      /** Peak bandwidth of all channels together. */
      bandwidthGBps: positive,
      /** Fraction of a channel's peak a DPU's weight stream sustains. */
      efficiency: fraction,
    }),
  }),
  dpu: z.strictObject({
    name: z.string().min(1),
    /** DPU kernels on the card; a batch-1 request runs on one at a time. */
    kernels: positiveInt,
    /** DDR channels each kernel is attached to: its weights stream through these only. */
    ddrChannelsPerKernel: positiveInt,
    /** Clock of the multiply-accumulate array. */
    clockMHz: positive,
    /** Convolution engine parallelism of one batch lane: input channels × output channels × output pixels per cycle. */
    conv: z.strictObject({ inputChannels: positiveInt, outputChannels: positiveInt, pixels: positiveInt }),
    /** Images a kernel processes side by side; a batch-1 request uses one lane. */
    batchLanes: positiveInt,
    /** Fraction of the lane's peak a 1×1 convolution sustains. */
    efficiency: fraction,
    /** Fixed cost of one DPU call (a subgraph run), µs. */
    callOverheadUs: nonNegative,
    /** Element types the DPU computes with. */
    precision: z.strictObject({ weights: z.array(Dtype).min(1), activations: z.array(Dtype).min(1) }),
  }),
  pcie: z.strictObject({
    /** Peak bandwidth per direction. */
    bandwidthGBps: positive,
    efficiency: fraction,
    /** Fixed cost of one transfer, µs. */
    latencyUs: nonNegative,
  }),
  host: z.strictObject({
    description: z.string().optional(),
    memoryGiB: positive,
    /** Sustained memory bandwidth of the operators the host runs. */
    memoryBandwidthGBps: positive,
    /** Sustained arithmetic throughput of those operators. */
    gflops: positive,
    /** Fixed cost of one operator (framework dispatch), µs. */
    opOverheadUs: nonNegative,
    /** Element type the host computes activations in. */
    computeDtype: Dtype,
    /** Floating-point operations per element of each operator's input. */
    flopsPerElement: z.strictObject({ softmax: positive, layernorm: positive, eltwise: positive, silu: positive, sampling: positive }),
  }),
  /** Paging of the KV cache for serving. */
  kvCache: KvCacheSchema,
  /** The card's FPGA (`device: xcu250`); absent: the card is not checked against it. */
  device: FpgaDeviceSchema.optional(),
  /** Power and energy; absent: no energy is reported. */
  energy: EnergySchema.optional(),
  /** What an hour of the board costs; absent: no cost is reported. */
  price: PriceSchema.optional(),
  /** Links to other cards of the kind; absent: the board runs on one card only. */
  interconnect: InterconnectSchema.optional(),
  compiler: z.strictObject({
    /** Token counts lengths are rounded up to (1: exact). */
    padTokens: z.strictObject({ prefill: positiveInt, decode: positiveInt }),
    /** Longest sequence the deployment is laid out for. */
    maxTokens: positiveInt,
  }),
});

/** A validated, frozen description of a DPU card with its host. */
export type DpuHostHardware = z.infer<typeof DpuHostHardwareSchema>;
