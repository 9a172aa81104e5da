import { z } from 'zod';
import { DTYPES } from '../ir/schema.js';

/*
 * A model description: the architecture, with the field names of a Hugging
 * Face config.json, and how it is mapped onto the accelerator (precision,
 * sparsity, attention masks, longest sequence).
 */

const positiveInt = z.number().int().positive();
const keepRatio = z.number().positive().max(1);

/** The transformer, as a Hugging Face config.json states it (LLaMA and Qwen2 families). */
export const ArchitectureSchema = z.strictObject({
  model_type: z.string().optional(),
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_attention_heads: positiveInt,
  /** Grouped-query attention: heads that K and V have; defaults to num_attention_heads. */
  num_key_value_heads: positiveInt.optional(),
  num_hidden_layers: positiveInt,
  /** Defaults to hidden_size / num_attention_heads. */
  head_dim: positiveInt.optional(),
  /** Biases on the query, key and value projections (Qwen2 has them, LLaMA does not). */
  attention_bias: z.boolean().optional(),
  vocab_size: positiveInt,
  max_position_embeddings: positiveInt,
  tie_word_embeddings: z.boolean().optional(),
});

export const PROJECTIONS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lmHead'] as const;
export type Projection = (typeof PROJECTIONS)[number];

export const MASK_PATTERNS = ['dense', 'local+sink', 'density'] as const;
export type MaskPattern = (typeof MASK_PATTERNS)[number];

/** How prefill attention is made block-sparse. Decode attention is always dense. */
export const AttentionMasksSchema = z.discriminatedUnion('pattern', [
  /** Causal: every block on or below the diagonal. */
  z.strictObject({ pattern: z.literal('dense') }),
  /** A sliding window of `windowBlocks` on and below the diagonal, plus the first `sinkBlocks` columns. */
  z.strictObject({ pattern: z.literal('local+sink'), windowBlocks: positiveInt, sinkBlocks: z.number().int().nonnegative() }),
  /**
   * Keeps `density` of the causal blocks: the diagonal and the first column
   * always, the rest drawn at random (seeded), nearer blocks more likely.
   */
  z.strictObject({
    pattern: z.literal('density'),
    density: keepRatio,
    seed: z.number().int().nonnegative().default(0),
    /** How strongly nearness to the diagonal favours a block: weight = 1 / distance^locality; 0 is uniform. */
    locality: z.number().nonnegative().default(1),
  }),
]);
export type AttentionMasks = z.infer<typeof AttentionMasksSchema>;

export const MappingSchema = z.strictObject({
  /** Longest sequence the deployment supports; at most the hardware's. */
  maxTokens: positiveInt.optional(),
  /** IR data types of weights, activations, KV cache and biases. */
  precision: z
    .strictObject({
      weights: z.enum(DTYPES).default('int8'),
      activations: z.enum(DTYPES).default('int8'),
      kvCache: z.enum(DTYPES).default('int8'),
      bias: z.enum(DTYPES).default('int32'),
    })
    .default({ weights: 'int8', activations: 'int8', kvCache: 'int8', bias: 'int32' }),
  /** Projections that carry a bias in the IR; default: q, k, v when attention_bias holds. */
  biasedProjections: z.array(z.enum(PROJECTIONS)).optional(),
  /** Fraction of each projection's weights kept after pruning (1 = dense). */
  weightSparsity: z.partialRecord(z.enum(PROJECTIONS), keepRatio).default({}),
  /** Store pruned weights as FSB blocks with their metadata streams (IR mask_mode fsb). */
  sparseStreams: z.boolean().default(false),
  attentionMasks: AttentionMasksSchema.default({ pattern: 'dense' }),
  /**
   * Quirk of FlightLLM's IR: the mask parameter is declared in cells of this
   * many tokens ([heads, 64, 64] for 2048 tokens) while the .npy masks use
   * the hardware's mask block (64 tokens).
   */
  maskParameterCellTokens: positiveInt.default(32),
});

export const ModelSchema = z.strictObject({
  /** Prefix of IR file names: `<name>_<stage>_token_<N>.yaml`. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only'),
  /** Name shown in tables. */
  displayName: z.string().min(1).optional(),
  /** Where the architecture figures come from. */
  source: z.string().optional(),
  architecture: ArchitectureSchema,
  mapping: MappingSchema.default(MappingSchema.parse({})),
});

/** A validated model description, with every default filled in. */
export type Model = z.infer<typeof ModelSchema>;
export type Architecture = z.infer<typeof ArchitectureSchema>;
export type Mapping = z.infer<typeof MappingSchema>;
