import { equals, type Rule } from '../rules.js';
import type { DpuHostHardware } from './schema.js';

/** What the DPU-and-host operator model assumes of a configuration. */
export const DPU_HOST_RULES: ReadonlyArray<Rule<DpuHostHardware>> = [
  { path: 'card.ddr.totalSizeGiB', check: (hw) => equals(hw.card.ddr.totalSizeGiB, hw.card.ddr.channels * hw.card.ddr.channelSizeGiB, 'card.ddr.channels × card.ddr.channelSizeGiB') },
  {
    path: 'dpu.kernels',
    check: (hw) => {
      const needed = hw.dpu.kernels * hw.dpu.ddrChannelsPerKernel;
      return needed <= hw.card.ddr.channels ? undefined : `${hw.dpu.kernels} kernels of ${hw.dpu.ddrChannelsPerKernel} DDR channels each need ${needed} channels, but card.ddr.channels is ${hw.card.ddr.channels}`;
    },
  },
];

