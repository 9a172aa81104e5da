import { z } from 'zod';

/*
 * A software stack as a GPU or ASIC board carries it once chosen (`--stack`,
 * hardware/stacks/*.yaml): what the host spends per step beyond the
 * kernels, and the scheduler's defaults.
 */

const nonNegative = z.number().nonnegative();
const positiveInt = z.number().int().positive();

/**
 * The scheduler's defaults (vLLM's names): sequences per step, tokens per
 * step, whether prompts are chunked and whether equal prompt prefixes share
 * their KV blocks. `max-model-len` is vLLM's default
 * without chunked prefill: the longest sequence the model takes, at least 2048.
 */
export const StackServingSchema = z.strictObject({
  maxNumSeqs: positiveInt.optional(),
  maxNumBatchedTokens: z.union([positiveInt, z.literal('max-model-len')]).optional(),
  enableChunkedPrefill: z.boolean().optional(),
  enablePrefixCaching: z.boolean().optional(),
  /** Admit a request only when its whole length's KV blocks are free (TensorRT-LLM's GUARANTEED_NO_EVICT); default: as tokens come, preempting (vLLM). */
  guaranteeNoEvict: z.boolean().optional(),
});

export type StackServing = z.infer<typeof StackServingSchema>;

export const StackSettingsSchema = z.strictObject({
  /** The stack's name (hardware/stacks/<name>.yaml). */
  name: z.string().min(1),
  /** Host time per step beyond its kernels (scheduling, sampling, Python), µs. */
  stepUs: nonNegative.default(0),
  /** Host time per sequence of a step (its sampling, detokenisation and bookkeeping), µs. */
  sequenceUs: nonNegative.default(0),
  serving: StackServingSchema.default({}),
});

export type StackSettings = z.infer<typeof StackSettingsSchema>;
