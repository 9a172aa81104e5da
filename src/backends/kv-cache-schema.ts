import { z } from 'zod';

/**
 * How a board's KV cache is paged for serving, common to every kind:
 * `blockTokens` tokens per block (vLLM's `--block-size`, 16 by default).
 */
export const KvCacheSchema = z
  .strictObject({
    /** Tokens per KV-cache block. */
    blockTokens: z.number().int().positive().default(16),
  })
  .prefault({});
