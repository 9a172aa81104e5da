import type { FlightLlmHardware } from '../schema.js';
import type { LoadInstruction, MatrixInstruction, MatrixModule, MiscInstruction, StoreInstruction } from '../instgen/index.js';
import { Module, type MiscOperation } from '../isa/index.js';

/*
 * Latency of each instruction, in milliseconds, from the hardware description
 * alone. The arithmetic is written in the same order as FlightLLM's profiler
 * (inst_profiler.py) so that results agree to the last bit, not just closely:
 * floating-point products and quotients are not associative.
 */

export interface LatencyModel {
  load(instruction: LoadInstruction): number;
  store(instruction: StoreInstruction): number;
  matrix(module: MatrixModule, instruction: MatrixInstruction): number;
  misc(instruction: MiscInstruction): number;
  sys(): number;
}

const BYTES_PER_GIB = 1024 * 1024 * 1024;
const MS_PER_SECOND = 1e3;
/** Cycles a SYS instruction takes. */
const SYS_CYCLES = 1;

export function latencyModel(hw: FlightLlmHardware): LatencyModel {
  const clockPeriodMs = (1 / hw.clock.frequencyMHz) * 1e-3;
  const channelBytesPerSecond = (hw.hbm.bandwidthGiBps * BYTES_PER_GIB) / hw.hbm.channels;
  const { sameChannel, crossChannel } = hw.hbm.efficiency;
  const divisor = hw.calibration.timeDivisor;
  const block = hw.sparsity.blockSize;
  const zeroFillBytesPerCycle = hw.buffers.a.channelWidthBytes.matrixMatrix;
  // Multiply-accumulates per K block of one instruction's output tile (an
  // integer, so grouping the product differently cannot change it), and per cycle.
  const mm = { workPerKBlock: hw.mpe.matrixMatrix.tile.m * block * hw.mpe.matrixMatrix.tile.n, macs: macsPerCycle(hw.mpe.matrixMatrix.parallelism) };
  const mv = { workPerKBlock: hw.mpe.matrixVector.tile.m * block * hw.mpe.matrixVector.tile.n, macs: macsPerCycle(hw.mpe.matrixVector.parallelism) };
  const vector = vectorOps(hw);

  return {
    load(i) {
      let bytesPerSecond: number;
      if (i.zeroFill) {
        // Zeros are written at the full A-buffer width per cycle, no HBM read.
        bytesPerSecond = ((zeroFillBytesPerCycle * i.parallelChannels) / clockPeriodMs) * MS_PER_SECOND * i.bandwidthRatio;
      } else {
        const efficiency = (i.crossChannel ? crossChannel : sameChannel) * i.bandwidthRatio;
        bytesPerSecond = channelBytesPerSecond * i.parallelChannels * efficiency;
      }
      return ((i.lengthBytes / bytesPerSecond) * MS_PER_SECOND) / divisor;
    },
    store(i) {
      const bytesPerSecond = (i.crossChannel ? channelBytesPerSecond * crossChannel : channelBytesPerSecond * sameChannel * i.parallelChannels) * i.bandwidthRatio;
      return ((i.lengthBytes / bytesPerSecond) * MS_PER_SECOND) / divisor;
    },
    matrix(module, i) {
      const engine = module === Module.MM ? mm : mv;
      let work = engine.workPerKBlock * i.kBlocks;
      if (i.sparse) work *= i.sparseRatio;
      return ((work / (engine.macs * i.rate)) * clockPeriodMs) / divisor;
    },
    misc(i) {
      const op = vector[i.operation];
      const cycles = ((i.kBlocks * block) / (op.parallelK * i.rate)) * op.passes;
      return (cycles * clockPeriodMs) / divisor;
    },
    sys() {
      return (SYS_CYCLES * clockPeriodMs) / divisor;
    },
  };
}

function macsPerCycle(parallelism: { n: number; k: number; m: number }): number {
  return parallelism.n * parallelism.k * parallelism.m;
}

/** The vector-engine settings each MISC operation runs with. */
function vectorOps(hw: FlightLlmHardware): Record<MiscOperation, { parallelK: number; passes: number }> {
  return {
    eltwise_add: hw.vpe.eltwise,
    eltwise_mul: hw.vpe.eltwise,
    softmax: hw.vpe.softmax,
    layernorm: hw.vpe.layernorm,
    rms_norm: hw.vpe.layernorm,
    silu: hw.vpe.silu,
  };
}
