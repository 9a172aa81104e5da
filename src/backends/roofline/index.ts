import type { Dtype } from '../../dtype.js';
import type { HardwareBackend, Peaks } from '../backend.js';
import type { PrecisionDtypes } from '../../compiler/target.js';
import { brokenRules } from '../rules.js';
import { ROOFLINE_RULES } from './rules.js';
import { RooflineHardwareSchema, type RooflineHardware } from './schema.js';
import { ROOFLINE_MODULES, simulateRoofline } from './simulate.js';
import { rooflineTarget } from './target.js';

/*
 * GPUs and ASICs, operator by operator (./simulate.ts): each kernel the
 * longer of its memory and compute times at calibrated efficiencies, plus a
 * launch cost.
 */

function peaks(hw: RooflineHardware): Peaks {
  const tops = hw.compute.peakTops;
  const fastest = Math.max(...Object.values(tops));
  const peakOf = (dtype: Dtype) => tops[dtype];
  return {
    bytesPerSecond: hw.memory.bandwidthGBps * 1e9,
    // Two operations a multiply-accumulate; rates relative to the fastest type.
    macsPerSecond: (fastest * 1e12) / 2,
    rate: (p) => (peakOf(p.a) ?? fastest) / fastest,
    kvCacheInPeakMemory: true,
    runs: (p) => peakOf(p.a) !== undefined,
  };
}

function refusePrecision(hw: RooflineHardware, precision: PrecisionDtypes): string | undefined {
  if (precision.preset !== undefined && !hw.precisions.includes(precision.preset)) return `${hw.name} runs ${hw.precisions.join(', ')} (precisions), not ${precision.preset}`;
  if (hw.compute.peakTops[precision.activations] === undefined) return `${hw.name} has no ${precision.activations} compute peak (compute.peakTops.${precision.activations})`;
  if (!hw.kvCacheDtypes.includes(precision.kvCache)) return `${hw.name} stores a KV cache as ${hw.kvCacheDtypes.join(' or ')} (kvCacheDtypes), not ${precision.kvCache}`;
  return undefined;
}

export const rooflineBackend: HardwareBackend<RooflineHardware> = {
  kind: 'roofline',
  schema: RooflineHardwareSchema,
  deviceLabel: '',
  moduleNames: ROOFLINE_MODULES,
  sensitivityKeys: [
    'memory.bandwidthGBps',
    'efficiency.linear.memory',
    'efficiency.linear.compute',
    'efficiency.attention.memory',
    'efficiency.attention.compute',
    'efficiency.vector.memory',
    'kernelLaunchUs',
  ],
  maskGeometry: () => undefined,
  check: (hw) => brokenRules(hw, ROOFLINE_RULES),
  refusePrecision,
  defaultPrecision: (hw) => hw.precisions[0],
  // A GPU or ASIC serves a checkpoint at the dtype it was saved in.
  quantizesCheckpoints: false,
  target: rooflineTarget,
  peaks,
  simulate: (ir, hw, options) => simulateRoofline(ir, hw, options),
  // A kernel costs the longer of two terms: a kink, not a period.
  rowStructure: () => ({ periodRows: undefined, affineRows: 1 }),
  parallelSequences: () => 1,
  servingDefaults: (hw) => hw.stack?.serving,
};

export { rooflineTarget } from './target.js';
export { RooflineHardwareSchema, type RooflineHardware } from './schema.js';
export { loadStack, stackOverrides, shippedStackNames, StackFileSchema, type Stack } from './stack.js';
export { StackSettingsSchema, StackServingSchema, type StackSettings, type StackServing } from './stack-schema.js';
export { ROOFLINE_MODULES, simulateRoofline, rooflineKernels, kernelsMs, type Kernel, type OperatorClass } from './simulate.js';
