import type { HardwareBackend, Peaks } from '../backend.js';
import { brokenRules } from '../rules.js';
import { DPU_HOST_RULES } from './rules.js';
import { DpuHostHardwareSchema, type DpuHostHardware } from './schema.js';
import { DPU_HOST_MODULES, simulateDpuHost } from './simulate.js';
import { dpuHostTarget } from './target.js';

/*
 * A card whose DPU runs the linear layers while a host CPU runs the rest,
 * PCIe between them, modelled operator by operator (./simulate.ts).
 */

function peaks(hw: DpuHostHardware): Peaks {
  const { conv } = hw.dpu;
  return {
    bytesPerSecond: hw.card.ddr.bandwidthGBps * 1e9,
    macsPerSecond: hw.dpu.kernels * hw.dpu.batchLanes * conv.inputChannels * conv.outputChannels * conv.pixels * hw.dpu.clockMHz * 1e6,
    rate: () => 1,
    // The KV cache lives in host memory, not in the card's DDR.
    kvCacheInPeakMemory: false,
    // Only the linear layers run on the DPU; attention runs on the host, outside this bound.
    runs: (p) => p.kind === 'linear',
  };
}

export const dpuHostBackend: HardwareBackend<DpuHostHardware> = {
  kind: 'dpu-host',
  schema: DpuHostHardwareSchema,
  deviceLabel: 'FPGA',
  moduleNames: DPU_HOST_MODULES,
  hostModule: 'HOST',
  sensitivityKeys: [
    'card.ddr.bandwidthGBps',
    'card.ddr.efficiency',
    'dpu.clockMHz',
    'dpu.efficiency',
    'dpu.callOverheadUs',
    'pcie.bandwidthGBps',
    'pcie.latencyUs',
    'host.memoryBandwidthGBps',
    'host.gflops',
    'host.opOverheadUs',
  ],
  maskGeometry: () => undefined,
  check: (hw) => brokenRules(hw, DPU_HOST_RULES),
  // Vitis AI quantises every model to INT8 for the DPU.
  defaultPrecision: () => 'W8A8',
  quantizesCheckpoints: true,
  refusePrecision: (hw, p) => {
    const { weights, activations } = hw.dpu.precision;
    if (!weights.includes(p.weights) || !activations.includes(p.activations)) return `${hw.dpu.name} computes ${weights.join(' or ')} weights with ${activations.join(' or ')} activations, not ${p.weights} weights with ${p.activations} activations (dpu.precision)`;
    return undefined;
  },
  target: dpuHostTarget,
  peaks,
  simulate: (ir, hw, options) => simulateDpuHost(ir, hw, options),
  // An operator costs the longer of its memory traffic and its arithmetic: not periodic in rows.
  rowStructure: () => ({ periodRows: undefined, affineRows: 1 }),
  parallelSequences: (hw) => hw.dpu.batchLanes,
  design: (hw) =>
    hw.device === undefined
      ? undefined
      : {
          device: hw.device,
          // The DPU's own utilisation (PG400) was not in the sources we could read: its clock, DDR and SLRs are checked, its resources are not.
          parts: [],
          resourcesNote: `${hw.dpu.name}'s resource utilisation (AMD PG400) was not found; its resources are not estimated`,
          clockMHz: hw.dpu.clockMHz,
          slrCount: hw.card.slrCount,
          memoryBandwidthGBps: hw.card.ddr.bandwidthGBps,
          memoryGiB: hw.card.ddr.totalSizeGiB,
          memoryChannels: hw.card.ddr.channels,
        },
};

export { dpuHostTarget } from './target.js';
export { DpuHostHardwareSchema, type DpuHostHardware } from './schema.js';
export { DPU_HOST_MODULES, simulateDpuHost, type DpuHostOptions } from './simulate.js';
