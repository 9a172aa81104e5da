import { DEFAULT_MAX_BATCHED_TOKENS } from '../compiler/index.js';

/*
 * The serving engine's defaults, vLLM's where vLLM has one; the CLI's
 * option defaults, serve() and the sweeps read them from here.
 */
export const SERVING_DEFAULTS = {
  policy: 'vllm',
  /** vLLM's --max-num-seqs. */
  maxNumSeqs: 256,
  /** vLLM's --max-num-batched-tokens (also what activation memory is planned for). */
  maxNumBatchedTokens: DEFAULT_MAX_BATCHED_TOKENS,
  enableChunkedPrefill: true,
  enablePrefixCaching: true,
  /** --metric-percentiles. */
  percentiles: [50, 90, 99],
} as const;
