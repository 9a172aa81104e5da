import { MODULES } from './isa/index.js';
import { mvRowsPerGroup } from './instgen/layers/linear-mv.js';
import { vectorRowsInFlight } from './instgen/layers/misc.js';
import { simulateIr } from './engine/simulate.js';
import type { HardwareBackend, Peaks } from '../backend.js';
import { brokenRules } from '../rules.js';
import { FLIGHTLLM_RULES } from './rules.js';
import { flightllmDesign } from './resources.js';
import { FlightLlmHardwareSchema, type FlightLlmHardware } from './schema.js';
import { flightllmTarget } from './target.js';

/*
 * FlightLLM's accelerator architecture: compiled to its ISA by the
 * instruction generator (src/instgen) and simulated instruction by
 * instruction (src/simulator).
 */

const GIB = 2 ** 30;

function peaks(hw: FlightLlmHardware): Peaks {
  const { matrixMatrix, matrixVector } = hw.mpe;
  const product = (p: { n: number; k: number; m: number }) => p.n * p.k * p.m;
  const macsPerCycle = Math.max(product(matrixMatrix.parallelism), product(matrixVector.parallelism));
  return {
    bytesPerSecond: hw.hbm.bandwidthGiBps * GIB,
    // Every SLR holds a copy of the engines; FlightLLM's profiler simulates one.
    macsPerSecond: hw.slrCount * macsPerCycle * hw.clock.frequencyMHz * 1e6,
    rate: (p) => hw.precision.matrixRate[p.a]?.[p.b] ?? 1,
    kvCacheInPeakMemory: true,
    runs: () => true,
    maskBlockTokens: hw.sparsity.maskBlockTokens,
  };
}

export const flightllmBackend: HardwareBackend<FlightLlmHardware> = {
  kind: 'flightllm',
  schema: FlightLlmHardwareSchema,
  deviceLabel: 'FPGA',
  moduleNames: MODULES,
  sensitivityKeys: ['hbm.bandwidthGiBps', 'hbm.efficiency.sameChannel', 'hbm.efficiency.crossChannel', 'clock.frequencyMHz', 'calibration.timeDivisor'],
  maskGeometry: (hw) => ({ maxTokens: hw.sparsity.maxTokens, maskBlockTokens: hw.sparsity.maskBlockTokens }),
  check: (hw) => brokenRules(hw, FLIGHTLLM_RULES),
  // FlightLLM's compiler maps every model to its own int8 labels with 4-bit weights.
  defaultPrecision: () => 'flightllm',
  quantizesCheckpoints: true,
  refusePrecision: (hw, p) => {
    const { matrixRate, vectorRate } = hw.precision;
    const pair = (a: string, b: string, of: string) => (matrixRate[a as keyof typeof matrixRate]?.[b as keyof typeof matrixRate] === undefined ? `its matrix engine has no rate for ${a} ${of} (precision.matrixRate.${a}.${b})` : undefined);
    return (
      pair(p.activations, p.weights, `activations × ${p.weights} weights`) ??
      pair(p.activations, p.kvCache, `queries × a ${p.kvCache} KV cache`) ??
      (vectorRate[p.activations] === undefined ? `its vector engine has no rate for ${p.activations} (precision.vectorRate.${p.activations})` : undefined)
    );
  },
  target: flightllmTarget,
  peaks,
  simulate: (ir, hw, options) => simulateIr(ir, hw, options),
  rowStructure: (hw, step) => {
    // The matrix engine computes row groups of parallelism.m rows in tiles of blockSize rows: a partial tile costs as a whole one, but stores what it holds.
    if (step.engine === 'mm') return { periodRows: hw.mpe.matrixMatrix.parallelism.m, affineRows: hw.sparsity.blockSize };
    // Row by row, weights stream once per group of rows the B buffer holds.
    if (step.engine === 'mv') return { periodRows: mvRowsPerGroup(hw, step.k), affineRows: 1 };
    return { periodRows: vectorRowsInFlight(hw, step.k), affineRows: 1 };
  },
  parallelSequences: () => 1,
  design: flightllmDesign,
};

export { flightllmTarget } from './target.js';
export { FlightLlmHardwareSchema, type FlightLlmHardware } from './schema.js';
