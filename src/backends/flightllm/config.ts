import { z } from 'zod';

/*
 * FlightLLM's own flat configuration file (profile/config.yaml): upper-case
 * keys, one per value. It is mapped onto our hardware model so both formats
 * describe the same machine.
 */

const num = z.number();

/** Every key FlightLLM's profiler reads. Other keys (OUTPUT_DIR, DEBUG) are ignored. */
export const FlightLlmConfigSchema = z.object({
  MAX_LEN: num,
  FSB_BLOCK_SIZE: num,
  MASK_LAYOUT_BLOCK_SIZE: num,
  CLOCK_FREQ_MHZ: num,
  SLR_NUM: num,
  MM_PARALLEL_N: num,
  MM_PARALLEL_K: num,
  MM_PARALLEL_M: num,
  MV_PARALLEL_N: num,
  MV_PARALLEL_K: num,
  MV_PARALLEL_M: num,
  MM_START_N_NUM: num,
  MM_START_M_NUM: num,
  MV_START_N_NUM: num,
  MV_START_M_NUM: num,
  SOFTMAX_PARALLEL_K: num,
  LAYERNORM_PARALLEL_K: num,
  ELTWISE_PARALLEL_K: num,
  SILU_PARALLEL_K: num,
  A_BUFFER_DEPTH: num,
  A_BUFFER_PER_BANK_WIDTH_B: num,
  A_BUFFER_MM_PER_CHANNEL_BANK_NUM: num,
  A_BUFFER_MV_PER_CHANNEL_BANK_NUM: num,
  A_BUFFER_MM_PER_CHANNEL_WIDTH_B: num,
  A_BUFFER_MV_PER_CHANNEL_WIDTH_B: num,
  A_BUFFER_HBM_CHANNEL_NUM: num,
  A_BUFFER_HBM_CHANNEL_START_ID: num,
  B_BUFFER_DEPTH: num,
  B_BUFFER_MM_BANK_WIDTH_B: num,
  B_BUFFER_MV_BANK_WIDTH_B: num,
  B_BUFFER_HBM_CHANNEL_NUM: num,
  B_BUFFER_HBM_CHANNEL_ID: num,
  GLOBAL_BUFFER_DEPTH: num,
  GLOBAL_BUFFER_PER_BANK_WIDTH_B: num,
  GLOBAL_BUFFER_MM_PER_CHANNEL_BANK_NUM: num,
  GLOBAL_BUFFER_MM_PER_CHANNEL_WIDTH_B: num,
  GLOBAL_BUFFER_MV_PER_CHANNEL_BANK_NUM: num,
  GLOBAL_BUFFER_MV_PER_CHANNEL_WIDTH_B: num,
  GLOBAL_BUFFER_MISC_PER_CHANNEL_BANK_NUM: num,
  GLOBAL_BUFFER_MISC_PER_CHANNEL_WIDTH_B: num,
  GLOBAL_BUFFER_HBM_CHANNEL_NUM: num,
  GLOBAL_BUFFER_HBM_CHANNEL_START_ID: num,
  META_BUFFER_DEPTH: num,
  META_BUFFER_BANK_WIDTH_B: num,
  META_BUFFER_HBM_CHANNEL_NUM: num,
  META_BUFFER_HBM_CHANNEL_ID: num,
  FSB_BUFFER_DEPTH: num,
  FSB_BUFFER_BANK_WIDTH_B: num,
  FSB_BUFFER_HBM_CHANNEL_NUM: num,
  FSB_BUFFER_HBM_CHANNEL_ID: num,
  BIAS_BUFFER_DEPTH: num,
  BIAS_BUFFER_BANK_WIDTH_B: num,
  BIAS_BUFFER_HBM_CHANNEL_NUM: num,
  BIAS_BUFFER_HBM_CHANNEL_ID: num,
  INST_HBM_CHANNEL_NUM: num,
  INST_HBM_CHANNEL_ID: num,
  HBM_CHANNEL_SIZE_MB: num,
  HBM_TOTAL_SIZE_GB: num,
  HBM_CHANNEL_NUM: num,
  HBM_BW_GB_PER_SEC: num,
  HBM_BW_SAME_CHANNEL_EFFICIENCY: num,
  HBM_BW_CROSS_CHANNEL_EFFICIENCY: num,
});

export type FlightLlmConfig = z.infer<typeof FlightLlmConfigSchema>;

/** True when a parsed YAML document looks like FlightLLM's flat config rather than ours. */
export function isFlightLlmConfig(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && 'CLOCK_FREQ_MHZ' in raw;
}

/**
 * Maps the flat keys onto our nested model. `profilerDefaults` supplies what
 * the reference hard-codes in its profiler (hardware/flightllm-profiler.yaml).
 */
export function fromFlightLlmConfig(config: FlightLlmConfig, name: string, profilerDefaults: Record<string, unknown>): Record<string, unknown> {
  const parallelK = (key: 'softmax' | 'layernorm' | 'eltwise' | 'silu', value: number) => ({
    ...(profilerDefaults['vpe'] as Record<string, object>)[key],
    parallelK: value,
  });
  return {
    kind: 'flightllm',
    name,
    description: 'FlightLLM configuration file, mapped onto the fpga-llm-sim hardware model',
    clock: { frequencyMHz: config.CLOCK_FREQ_MHZ },
    slrCount: config.SLR_NUM,
    sparsity: { blockSize: config.FSB_BLOCK_SIZE, maskBlockTokens: config.MASK_LAYOUT_BLOCK_SIZE, maxTokens: config.MAX_LEN },
    mpe: {
      matrixMatrix: {
        parallelism: { n: config.MM_PARALLEL_N, k: config.MM_PARALLEL_K, m: config.MM_PARALLEL_M },
        tile: { n: config.MM_START_N_NUM, m: config.MM_START_M_NUM },
      },
      matrixVector: {
        parallelism: { n: config.MV_PARALLEL_N, k: config.MV_PARALLEL_K, m: config.MV_PARALLEL_M },
        tile: { n: config.MV_START_N_NUM, m: config.MV_START_M_NUM },
      },
    },
    vpe: {
      softmax: parallelK('softmax', config.SOFTMAX_PARALLEL_K),
      layernorm: parallelK('layernorm', config.LAYERNORM_PARALLEL_K),
      eltwise: parallelK('eltwise', config.ELTWISE_PARALLEL_K),
      silu: parallelK('silu', config.SILU_PARALLEL_K),
    },
    buffers: buffersOf(config),
    hbm: {
      channels: config.HBM_CHANNEL_NUM,
      channelSizeMiB: config.HBM_CHANNEL_SIZE_MB,
      totalSizeGiB: config.HBM_TOTAL_SIZE_GB,
      // FlightLLM labels this GB/s but its profiler multiplies by 1024^3.
      bandwidthGiBps: config.HBM_BW_GB_PER_SEC,
      efficiency: { sameChannel: config.HBM_BW_SAME_CHANNEL_EFFICIENCY, crossChannel: config.HBM_BW_CROSS_CHANNEL_EFFICIENCY },
    },
    precision: profilerDefaults['precision'],
    calibration: profilerDefaults['calibration'],
    compiler: profilerDefaults['compiler'],
  };
}

/** The buffers: depth, width, banks and home HBM channels of each. */
function buffersOf(config: FlightLlmConfig): Record<string, unknown> {
  const channels = (first: number, count: number) => ({ first, count });
  return {
    a: {
      depthWords: config.A_BUFFER_DEPTH,
      bankWidthBytes: config.A_BUFFER_PER_BANK_WIDTH_B,
      banksPerChannel: { matrixMatrix: config.A_BUFFER_MM_PER_CHANNEL_BANK_NUM, matrixVector: config.A_BUFFER_MV_PER_CHANNEL_BANK_NUM },
      channelWidthBytes: { matrixMatrix: config.A_BUFFER_MM_PER_CHANNEL_WIDTH_B, matrixVector: config.A_BUFFER_MV_PER_CHANNEL_WIDTH_B },
      hbmChannels: channels(config.A_BUFFER_HBM_CHANNEL_START_ID, config.A_BUFFER_HBM_CHANNEL_NUM),
    },
    b: {
      depthWords: config.B_BUFFER_DEPTH,
      widthBytes: { matrixMatrix: config.B_BUFFER_MM_BANK_WIDTH_B, matrixVector: config.B_BUFFER_MV_BANK_WIDTH_B },
      hbmChannels: channels(config.B_BUFFER_HBM_CHANNEL_ID, config.B_BUFFER_HBM_CHANNEL_NUM),
    },
    global: {
      depthWords: config.GLOBAL_BUFFER_DEPTH,
      bankWidthBytes: config.GLOBAL_BUFFER_PER_BANK_WIDTH_B,
      banksPerChannel: {
        matrixMatrix: config.GLOBAL_BUFFER_MM_PER_CHANNEL_BANK_NUM,
        matrixVector: config.GLOBAL_BUFFER_MV_PER_CHANNEL_BANK_NUM,
        misc: config.GLOBAL_BUFFER_MISC_PER_CHANNEL_BANK_NUM,
      },
      channelWidthBytes: {
        matrixMatrix: config.GLOBAL_BUFFER_MM_PER_CHANNEL_WIDTH_B,
        matrixVector: config.GLOBAL_BUFFER_MV_PER_CHANNEL_WIDTH_B,
        misc: config.GLOBAL_BUFFER_MISC_PER_CHANNEL_WIDTH_B,
      },
      hbmChannels: channels(config.GLOBAL_BUFFER_HBM_CHANNEL_START_ID, config.GLOBAL_BUFFER_HBM_CHANNEL_NUM),
    },
    meta: { depthWords: config.META_BUFFER_DEPTH, widthBytes: config.META_BUFFER_BANK_WIDTH_B, hbmChannels: channels(config.META_BUFFER_HBM_CHANNEL_ID, config.META_BUFFER_HBM_CHANNEL_NUM) },
    fsb: { depthWords: config.FSB_BUFFER_DEPTH, widthBytes: config.FSB_BUFFER_BANK_WIDTH_B, hbmChannels: channels(config.FSB_BUFFER_HBM_CHANNEL_ID, config.FSB_BUFFER_HBM_CHANNEL_NUM) },
    bias: { depthWords: config.BIAS_BUFFER_DEPTH, widthBytes: config.BIAS_BUFFER_BANK_WIDTH_B, hbmChannels: channels(config.BIAS_BUFFER_HBM_CHANNEL_ID, config.BIAS_BUFFER_HBM_CHANNEL_NUM) },
    instruction: { hbmChannels: channels(config.INST_HBM_CHANNEL_ID, config.INST_HBM_CHANNEL_NUM) },
  };
}
