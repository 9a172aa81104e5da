import { z } from 'zod';
import { DTYPES } from '../../dtype.js';
import { EnergySchema, PriceSchema } from '../energy-schema.js';
import { FpgaDeviceSchema } from '../fpga-device.js';
import { InterconnectSchema } from '../interconnect-schema.js';
import { KvCacheSchema } from '../kv-cache-schema.js';

/*
 * The hardware description of an accelerator in FlightLLM's architecture
 * (`kind: flightllm`), grouped by module. Keys carry their units. This is the shape after
 * expressions (strings starting with "=") have been evaluated.
 */

const positive = z.number().positive();
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const fraction = z.number().positive().max(1);
const Dtype = z.enum(DTYPES);

/** A contiguous range of HBM channels a buffer is striped over. */
const HbmChannels = z.strictObject({ first: nonNegativeInt, count: positiveInt });

/** Parallelism of one matrix engine mode: multipliers along N, K and M per cycle. */
const Parallelism = z.strictObject({ n: positiveInt, k: positiveInt, m: positiveInt });

/** One matrix engine mode: its parallelism and the output tile one instruction covers per K block. */
const MatrixEngine = z.strictObject({
  parallelism: Parallelism,
  /** Output elements one instruction produces along N and M (FlightLLM's `*_START_*_NUM`). */
  tile: z.strictObject({ n: positiveInt, m: positiveInt }),
});

/** One vector-engine operation: elements per cycle and passes over the data. */
const VectorOp = z.strictObject({ parallelK: positiveInt, passes: positiveInt });

const PerMode = z.strictObject({ matrixMatrix: positiveInt, matrixVector: positiveInt });
const PerModeWithMisc = z.strictObject({ matrixMatrix: positiveInt, matrixVector: positiveInt, misc: positiveInt });

/** A buffer built from banks; its width per HBM channel differs by engine mode. */
const BankedBuffer = z.strictObject({
  depthWords: positiveInt,
  bankWidthBytes: positiveInt,
  banksPerChannel: PerMode,
  channelWidthBytes: PerMode,
  hbmChannels: HbmChannels,
});

const GlobalBuffer = z.strictObject({
  depthWords: positiveInt,
  bankWidthBytes: positiveInt,
  banksPerChannel: PerModeWithMisc,
  channelWidthBytes: PerModeWithMisc,
  hbmChannels: HbmChannels,
});

/** A single-bank buffer. */
const SimpleBuffer = z.strictObject({ depthWords: positiveInt, widthBytes: positiveInt, hbmChannels: HbmChannels });

export const FlightLlmHardwareSchema = z.strictObject({
  /** FlightLLM's accelerator architecture (the default when a file names no kind). */
  kind: z.literal('flightllm'),
  name: z.string().min(1),
  /** What tables, figures and titles call the board (`A100 80GB SXM`); default its name in capitals and its kind (`VHK158 FPGA`). */
  displayName: z.string().min(1).optional(),
  description: z.string().optional(),
  clock: z.strictObject({ frequencyMHz: positive }),
  slrCount: positiveInt,
  sparsity: z.strictObject({
    /** Edge of a structured-sparsity (FSB) block, in elements; also the tiling unit of every matrix. */
    blockSize: positiveInt,
    /** Edge of an attention-mask block, in tokens. */
    maskBlockTokens: positiveInt,
    /** Longest sequence the masks and buffers are laid out for, in tokens. */
    maxTokens: positiveInt,
  }),
  mpe: z.strictObject({ matrixMatrix: MatrixEngine, matrixVector: MatrixEngine }),
  vpe: z.strictObject({ softmax: VectorOp, layernorm: VectorOp, eltwise: VectorOp, silu: VectorOp }),
  buffers: z.strictObject({
    a: BankedBuffer,
    b: z.strictObject({ depthWords: positiveInt, widthBytes: PerMode, hbmChannels: HbmChannels }),
    global: GlobalBuffer,
    meta: SimpleBuffer,
    fsb: SimpleBuffer,
    bias: SimpleBuffer,
    instruction: z.strictObject({ hbmChannels: HbmChannels }),
  }),
  hbm: z.strictObject({
    channels: positiveInt,
    channelSizeMiB: positive,
    totalSizeGiB: positive,
    bandwidthGiBps: positive,
    efficiency: z.strictObject({ sameChannel: fraction, crossChannel: fraction }),
  }),
  precision: z.strictObject({
    /**
     * Multiply-accumulate throughput of the matrix engine relative to its
     * parallelism figures (which are stated for int8 × int8), by the
     * activation's dtype, then the weight's (or the KV cache's). A pair that
     * is absent is one the engine cannot multiply.
     */
    matrixRate: z.partialRecord(Dtype, z.partialRecord(Dtype, positive)),
    /** Vector-engine throughput relative to `parallelK`, by the dtype of the data. */
    vectorRate: z.partialRecord(Dtype, positive),
  }),
  calibration: z.strictObject({
    /** Every instruction latency is divided by this factor. */
    timeDivisor: positive,
    /**
     * Bits each weight element streams with, by the weight's IR dtype, where
     * that differs from the dtype's width (a weight's own `stream_bits` wins).
     */
    weightStreamBits: z.partialRecord(Dtype, positiveInt.max(64)).default({}),
  }),
  /** Paging of the KV cache for serving. */
  kvCache: KvCacheSchema,
  /** The FPGA the design is built on (`device: xcu280` names hardware/devices/xcu280.yaml); absent: the design is not checked. */
  device: FpgaDeviceSchema.optional(),
  /** Coefficients of the resource model (src/backends/flightllm/resources.ts), each sourced or fitted in the board file. */
  resources: z
    .strictObject({
      /** LUTs per multiply-accumulate of the matrix engine (its sparse operand selection, adder trees and control). */
      lutPerMac: positive,
      /** LUTs per element-per-cycle lane of the vector engine. */
      lutPerVectorLane: z.number().nonnegative(),
      /** DSP slices per vector-engine lane. */
      dspPerVectorLane: z.number().nonnegative(),
      /** Flip-flops per LUT. */
      ffPerLut: positive,
      /** Bandwidth the design draws from the device's memory, decimal GB/s (what the device check compares). */
      hbmBandwidthGBps: positive,
    })
    .optional(),
  /** Power and energy; absent: no energy is reported. */
  energy: EnergySchema.optional(),
  /** What an hour of the board costs; absent: no cost is reported. */
  price: PriceSchema.optional(),
  /** Links to other cards of the kind; absent: the board runs on one card only. */
  interconnect: InterconnectSchema.optional(),
  compiler: z.strictObject({
    /** Token counts the IR is generated at: lengths are rounded up to these multiples. */
    padTokens: z.strictObject({ prefill: positiveInt, decode: positiveInt }),
  }),
});

/** A validated, frozen description of an accelerator in FlightLLM's architecture. */
export type FlightLlmHardware = z.infer<typeof FlightLlmHardwareSchema>;
