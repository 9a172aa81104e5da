import { backendFor } from '../backends/index.js';
import type { Hardware } from '../backends/index.js';
import type { Ir, MaskLookup } from '../ir/index.js';
import { irWork, type IrWork } from './layers.js';

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

/** The bound of one IR (a stage at one length) on the hardware. */
export function physicalBound(ir: Ir, hw: Hardware, options: BoundOptions = {}): Bound {
  return boundOfWork(workOn(ir, hw, options), hw);
}

/** The work of an IR as this hardware stores and runs it (pruned weights, stream widths, mask cells). */
export function workOn(ir: Ir, hw: Hardware, options: BoundOptions = {}): IrWork {
  const backend = backendFor(hw);
  return irWork(ir, { target: backend.target(hw), masks: options.masks, maskBlockTokens: backend.peaks(hw).maskBlockTokens });
}

/** The bound of work already counted (`workOn`), for callers that also need the work itself. */
export function boundOfWork(work: IrWork, hw: Hardware): Bound {
  const peaks = backendFor(hw).peaks(hw);
  const products = work.products.filter((p) => peaks.runs(p));
  const bytes = work.weightBytes + (peaks.kvCacheInPeakMemory ? work.kvReadBytes : 0);
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
