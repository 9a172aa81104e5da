import { compileTarget, type DpuHostHardware, type FlightLlmHardware, type Hardware } from '../hardware/index.js';
import type { Ir, MaskLookup } from '../ir/index.js';
import { irWork, type IrWork, type Product } from './layers.js';

/*
 * The physical lower bound of a stage: the bytes that must cross the
 * accelerator's weight memory at its peak bandwidth, and the operations at
 * its peak compute, whichever takes longer. No schedule can beat it, so a
 * simulated latency below it is a bug.
 */

export interface Bound {
  /** max(memoryMs, computeMs). */
  readonly boundMs: number;
  readonly memoryMs: number;
  readonly computeMs: number;
  /** What limits: the larger of the two. */
  readonly limit: 'memory' | 'compute';
  readonly bytes: number;
  readonly macs: number;
  /** The peaks used: bandwidth of the weight memory, and tera-MACs per second at int8. */
  readonly peakBandwidthGBps: number;
  readonly peakTmacs: number;
}

export interface BoundOptions {
  /** Attention masks of prefill products; without them, prefill attention counts no work. */
  readonly masks?: MaskLookup | undefined;
}

const MS_PER_SECOND = 1e3;
const GIB = 2 ** 30;

/** Peak figures of a kind of hardware: weight-memory bandwidth, and MAC rate for a product's operands. */
interface Peaks {
  readonly bytesPerSecond: number;
  /** Multiply-accumulates per second at int8 × int8. */
  readonly macsPerSecond: number;
  /** Throughput for the product's operands relative to `macsPerSecond`. */
  rate(product: Product): number;
  /** Bytes that must cross the memory the bandwidth belongs to. */
  bytes(work: IrWork): number;
  /** Whether the engine the peak belongs to runs the product. */
  runs(product: Product): boolean;
  readonly maskBlockTokens?: number;
}

const PEAKS: { [K in Hardware['kind']]: (hw: Extract<Hardware, { kind: K }>) => Peaks } = {
  flightllm: (hw: FlightLlmHardware) => {
    const { matrixMatrix, matrixVector } = hw.mpe;
    const macsPerCycle = Math.max(product(matrixMatrix.parallelism), product(matrixVector.parallelism));
    // Every SLR holds a copy of the engines; FlightLLM's profiler simulates one.
    const macsPerSecond = hw.slrCount * macsPerCycle * hw.clock.frequencyMHz * 1e6;
    return {
      bytesPerSecond: hw.hbm.bandwidthGiBps * GIB,
      macsPerSecond,
      rate: (p) => hw.precision.matrixRate[p.a]?.[p.b] ?? 1,
      bytes: (work) => work.weightBytes + work.kvReadBytes,
      runs: () => true,
      maskBlockTokens: hw.sparsity.maskBlockTokens,
    };
  },
  'dpu-host': (hw: DpuHostHardware) => {
    const { conv } = hw.dpu;
    const macsPerSecond = hw.dpu.kernels * hw.dpu.batchLanes * conv.inputChannels * conv.outputChannels * conv.pixels * hw.dpu.clockMHz * 1e6;
    return {
      bytesPerSecond: hw.card.ddr.bandwidthGBps * 1e9,
      macsPerSecond,
      rate: () => 1,
      bytes: (work) => work.weightBytes,
      // Only the linear layers run on the DPU; attention runs on the host, outside this bound.
      runs: (p) => p.kind === 'linear',
    };
  },
};

function product(p: { n: number; k: number; m: number }): number {
  return p.n * p.k * p.m;
}

/** The bound of one IR (a stage at one length) on the hardware. */
export function physicalBound(ir: Ir, hw: Hardware, options: BoundOptions = {}): Bound {
  const peaks = (PEAKS[hw.kind] as (hw: Hardware) => Peaks)(hw);
  const work = irWork(ir, { target: compileTarget(hw), masks: options.masks, maskBlockTokens: peaks.maskBlockTokens });
  const products = work.products.filter((p) => peaks.runs(p));
  const bytes = peaks.bytes(work);
  const memoryMs = (bytes / peaks.bytesPerSecond) * MS_PER_SECOND;
  let computeMs = 0;
  let macs = 0;
  for (const p of products) {
    computeMs += (p.macs / (peaks.macsPerSecond * peaks.rate(p))) * MS_PER_SECOND;
    macs += p.macs;
  }
  return {
    boundMs: Math.max(memoryMs, computeMs),
    memoryMs,
    computeMs,
    limit: memoryMs >= computeMs ? 'memory' : 'compute',
    bytes,
    macs,
    peakBandwidthGBps: peaks.bytesPerSecond / 1e9,
    peakTmacs: peaks.macsPerSecond / 1e12,
  };
}
