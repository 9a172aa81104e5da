import { equals, multipleOf, type Rule } from '../rules.js';
import type { FlightLlmHardware } from './schema.js';

/** What FlightLLM's generator and latency model assume of a configuration. */
export const FLIGHTLLM_RULES: ReadonlyArray<Rule<FlightLlmHardware>> = [
  { path: 'sparsity.maskBlockTokens', check: (hw) => multipleOf(hw.sparsity.maskBlockTokens, hw.sparsity.blockSize, 'sparsity.blockSize') },
  { path: 'sparsity.maxTokens', check: (hw) => multipleOf(hw.sparsity.maxTokens, hw.sparsity.maskBlockTokens, 'sparsity.maskBlockTokens') },
  {
    path: 'mpe.matrixMatrix.parallelism.k',
    check: (hw) => {
      const k = hw.mpe.matrixMatrix.parallelism.k;
      return hw.sparsity.blockSize % k === 0 ? undefined : `must divide sparsity.blockSize (${hw.sparsity.blockSize}), got ${k}`;
    },
  },
  {
    path: 'mpe.matrixMatrix.parallelism.m',
    check: (hw) =>
      multipleOf(hw.mpe.matrixMatrix.parallelism.m, hw.sparsity.maskBlockTokens, 'sparsity.maskBlockTokens') ??
      equals(hw.mpe.matrixMatrix.parallelism.m / hw.sparsity.blockSize, hw.buffers.a.hbmChannels.count, 'buffers.a.hbmChannels.count blocks of sparsity.blockSize rows; one row group of an attention product spans every A-buffer channel'),
  },
  { path: 'mpe.matrixVector.tile.n', check: (hw) => multipleOf(hw.mpe.matrixVector.tile.n, hw.sparsity.blockSize, 'sparsity.blockSize') },
  { path: 'buffers.a.bankWidthBytes', check: (hw) => equals(hw.buffers.a.bankWidthBytes, hw.mpe.matrixMatrix.parallelism.k, 'mpe.matrixMatrix.parallelism.k') },
  {
    path: 'buffers.a.channelWidthBytes.matrixMatrix',
    check: (hw) => equals(hw.buffers.a.channelWidthBytes.matrixMatrix, hw.buffers.a.bankWidthBytes * hw.buffers.a.banksPerChannel.matrixMatrix, 'bankWidthBytes × banksPerChannel.matrixMatrix'),
  },
  {
    path: 'buffers.a.channelWidthBytes.matrixVector',
    check: (hw) => equals(hw.buffers.a.channelWidthBytes.matrixVector, hw.buffers.a.bankWidthBytes * hw.buffers.a.banksPerChannel.matrixVector, 'bankWidthBytes × banksPerChannel.matrixVector'),
  },
  {
    path: 'buffers.global.channelWidthBytes.matrixMatrix',
    check: (hw) => equals(hw.buffers.global.channelWidthBytes.matrixMatrix, hw.buffers.global.bankWidthBytes * hw.buffers.global.banksPerChannel.matrixMatrix, 'bankWidthBytes × banksPerChannel.matrixMatrix'),
  },
  {
    path: 'buffers.global.channelWidthBytes.matrixVector',
    check: (hw) => equals(hw.buffers.global.channelWidthBytes.matrixVector, hw.buffers.global.bankWidthBytes * hw.buffers.global.banksPerChannel.matrixVector, 'bankWidthBytes × banksPerChannel.matrixVector'),
  },
  {
    path: 'buffers.global.channelWidthBytes.misc',
    check: (hw) => equals(hw.buffers.global.channelWidthBytes.misc, hw.buffers.global.bankWidthBytes * hw.buffers.global.banksPerChannel.misc, 'bankWidthBytes × banksPerChannel.misc'),
  },
  {
    path: 'buffers.b.widthBytes.matrixMatrix',
    check: (hw) => equals(hw.buffers.b.widthBytes.matrixMatrix, hw.mpe.matrixMatrix.parallelism.n * hw.mpe.matrixMatrix.parallelism.k, 'mpe.matrixMatrix.parallelism.n × k'),
  },
  {
    // Sparse-weight metadata holds a 4-bit index per 8-bit weight: half the width.
    path: 'buffers.meta.widthBytes',
    check: (hw) => equals(hw.buffers.meta.widthBytes * 2, hw.buffers.b.widthBytes.matrixMatrix, 'half of buffers.b.widthBytes.matrixMatrix, doubled'),
  },
  { path: 'buffers.bias.widthBytes', check: (hw) => multipleOf(hw.buffers.bias.widthBytes, 4, 'the size of an int32 bias') },
  {
    // Matrix outputs are written back through the same channels the activations came from.
    path: 'buffers.global.hbmChannels',
    check: (hw) => {
      const [a, g] = [hw.buffers.a.hbmChannels, hw.buffers.global.hbmChannels];
      return a.first === g.first && a.count === g.count ? undefined : `must equal buffers.a.hbmChannels (${a.first}+${a.count}), got ${g.first}+${g.count}`;
    },
  },
  ...(['a', 'b', 'global', 'meta', 'fsb', 'bias', 'instruction'] as const).map(
    (buffer): Rule<FlightLlmHardware> => ({
      path: `buffers.${buffer}.hbmChannels`,
      check: (hw) => {
        const { first, count } = hw.buffers[buffer].hbmChannels;
        return first + count <= hw.hbm.channels ? undefined : `channels ${first}..${first + count - 1} lie beyond hbm.channels (${hw.hbm.channels})`;
      },
    }),
  ),
  {
    path: 'hbm.totalSizeGiB',
    check: (hw) => {
      const fromChannels = (hw.hbm.channels * hw.hbm.channelSizeMiB) / 1024;
      return fromChannels === hw.hbm.totalSizeGiB ? undefined : `must equal hbm.channels × hbm.channelSizeMiB / 1024 (${fromChannels}), got ${hw.hbm.totalSizeGiB}`;
    },
  },
];

