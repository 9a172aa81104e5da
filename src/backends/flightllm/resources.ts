import type { DesignPart, FpgaDesign, ResourceCounts } from '../fpga-design.js';
import type { FpgaDevice } from '../fpga-device.js';
import type { FlightLlmHardware } from './schema.js';

/*
 * What FlightLLM's design costs in FPGA resources, from the parameters of
 * its board file. Every SLR holds one copy of the engines and buffers (the
 * profiler simulates one SLR's instruction stream; the U280 build carries
 * one stream per SLR). Per SLR:
 *
 * - matrix engine: max(MM, MV) n·k·m multiply-accumulates per cycle, packed
 *   into DSP slices at the device's int8 MACs per slice; LUTs in proportion
 *   to the MACs (`resources.lutPerMac`: operand selection for the sparse
 *   weights, adder trees, control);
 * - vector engine: the four operations' lanes (Σ parallelK), each with
 *   `dspPerVectorLane` DSPs and `lutPerVectorLane` LUTs;
 * - flip-flops: `ffPerLut` per LUT;
 * - buffers: every bank built from the device's RAM shapes, a bank at least
 *   as deep as an UltraRAM in UltraRAM, the rest in 36 Kb block RAM.
 *
 * The coefficients and their sources (one fitted to FlightLLM's reported
 * U280 LUTs) are in the board file.
 */

/** The modules whose busy time keeps each part switching. */
const MATRIX_MODULES = ['MM', 'MV'] as const;
const VECTOR_MODULES = ['MISC'] as const;
const BUFFER_MODULES = ['LD', 'ST', 'MM', 'MV', 'MISC'] as const;

/** A buffer's banks: how many, each `depth` words of `widthBits`. */
interface Banks {
  readonly count: number;
  readonly depth: number;
  readonly widthBits: number;
}

/** FlightLLM's design on its device, or undefined where the board names no device or no resource coefficients. */
export function flightllmDesign(hw: FlightLlmHardware): FpgaDesign | undefined {
  const { device, resources } = hw;
  if (device === undefined || resources === undefined) return undefined;
  const perSlr = [matrixEngine(hw, device), vectorEngine(hw), buffers(hw, device)];
  return {
    device,
    parts: perSlr.map((part) => ({ ...part, resources: scaled(part.resources, hw.slrCount) })),
    clockMHz: hw.clock.frequencyMHz,
    slrCount: hw.slrCount,
    memoryBandwidthGBps: resources.hbmBandwidthGBps,
    memoryGiB: hw.hbm.totalSizeGiB,
    memoryChannels: hw.hbm.channels,
  };
}

/** Multiply-accumulates per cycle of one SLR's matrix engine: its wider mode (the modes share the multipliers). */
export function matrixMacsPerCycle(hw: FlightLlmHardware): number {
  const product = (p: { n: number; k: number; m: number }) => p.n * p.k * p.m;
  return Math.max(product(hw.mpe.matrixMatrix.parallelism), product(hw.mpe.matrixVector.parallelism));
}

function matrixEngine(hw: FlightLlmHardware, device: FpgaDevice): DesignPart {
  const macs = matrixMacsPerCycle(hw);
  const luts = Math.round(macs * hw.resources!.lutPerMac);
  return { name: 'matrix engine', modules: MATRIX_MODULES, resources: counts({ dsp: Math.ceil(macs / device.dsp.int8MacsPerSlice), lut: luts, ff: Math.round(luts * hw.resources!.ffPerLut) }) };
}

function vectorEngine(hw: FlightLlmHardware): DesignPart {
  const { softmax, layernorm, eltwise, silu } = hw.vpe;
  const lanes = softmax.parallelK + layernorm.parallelK + eltwise.parallelK + silu.parallelK;
  const { lutPerVectorLane, dspPerVectorLane, ffPerLut } = hw.resources!;
  const luts = Math.round(lanes * lutPerVectorLane);
  return { name: 'vector engine', modules: VECTOR_MODULES, resources: counts({ dsp: Math.ceil(lanes * dspPerVectorLane), lut: luts, ff: Math.round(luts * ffPerLut) }) };
}

function buffers(hw: FlightLlmHardware, device: FpgaDevice): DesignPart {
  const { a, b, global, meta, fsb, bias } = hw.buffers;
  const widest = (widths: Readonly<Record<string, number>>) => Math.max(...Object.values(widths));
  const banks: Banks[] = [
    { count: widest(a.banksPerChannel) * a.hbmChannels.count, depth: a.depthWords, widthBits: a.bankWidthBytes * 8 },
    { count: 1, depth: b.depthWords, widthBits: widest(b.widthBytes) * 8 },
    { count: widest(global.banksPerChannel) * global.hbmChannels.count, depth: global.depthWords, widthBits: global.bankWidthBytes * 8 },
    ...[meta, fsb, bias].map((buffer) => ({ count: 1, depth: buffer.depthWords, widthBits: buffer.widthBytes * 8 })),
  ];
  const rams = { bram36: 0, uram: 0 };
  for (const bank of banks) {
    const [kind, blocks] = ramFor(bank, device);
    rams[kind] += bank.count * blocks;
  }
  return { name: 'buffers', modules: BUFFER_MODULES, resources: counts(rams) };
}

/**
 * The RAM one bank is built from and how many blocks: UltraRAM for a bank at
 * least as deep as an UltraRAM in its widest shape (4K words), as a designer
 * places deep buffers; block RAM for the rest. Within the kind, the shape
 * that takes fewest blocks.
 */
function ramFor(bank: Banks, device: FpgaDevice): ['bram36' | 'uram', number] {
  const [uramDepth] = device.ram.uramShapes.reduce((wide, shape) => (shape[1] > wide[1] ? shape : wide));
  const kind = bank.depth >= uramDepth ? 'uram' : 'bram36';
  const shapes = kind === 'uram' ? device.ram.uramShapes : device.ram.bram36Shapes;
  return [kind, Math.min(...shapes.map(([depth, width]) => Math.ceil(bank.depth / depth) * Math.ceil(bank.widthBits / width)))];
}

function counts(partial: Partial<Record<keyof ResourceCounts, number>>): ResourceCounts {
  return { lut: 0, ff: 0, dsp: 0, bram36: 0, uram: 0, ...partial };
}

function scaled(resources: ResourceCounts, factor: number): ResourceCounts {
  return { lut: resources.lut * factor, ff: resources.ff * factor, dsp: resources.dsp * factor, bram36: resources.bram36 * factor, uram: resources.uram * factor };
}
