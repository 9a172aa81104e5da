import { z } from 'zod';
import { DTYPES, dtypeBits, type Dtype } from '../dtype.js';

/*
 * A model description: the architecture, with the field names of a Hugging
 * Face config.json, and how it is mapped onto the accelerator (precision,
 * sparsity, attention masks, longest sequence).
 */

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
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

  /*
   * A mixture of experts (absent: every layer's feed-forward network is
   * dense, `intermediate_size` wide). Names as DeepSeek's config.json has
   * them; a Mixtral, Qwen2-MoE or Qwen3-MoE config.json is mapped onto them
   * when it is imported (num_local_experts, num_experts).
   */
  /** Routed experts in each sparse layer. */
  n_routed_experts: positiveInt.optional(),
  /** Routed experts each token runs (top-k). */
  num_experts_per_tok: positiveInt.optional(),
  /** Width of one routed expert's SwiGLU network. */
  moe_intermediate_size: positiveInt.optional(),
  /** Shared experts every token runs beside its routed ones; default 1 where `shared_expert_intermediate_size` is given, else 0. */
  n_shared_experts: nonNegativeInt.optional(),
  /** Width of each shared expert (Qwen2-MoE's one shared expert); default `moe_intermediate_size` (DeepSeek's). */
  shared_expert_intermediate_size: positiveInt.optional(),
  /** The first k layers are dense (DeepSeek). */
  first_k_dense_replace: nonNegativeInt.optional(),
  /** Layers, counted from 0, that are dense (Qwen-MoE). */
  mlp_only_layers: z.array(nonNegativeInt).optional(),
  /** Every step-th layer is sparse: layer l when (l + 1) % step = 0 (Qwen-MoE); default 1, every layer. */
  decoder_sparse_step: positiveInt.optional(),

  /*
   * Multi-head latent attention (DeepSeek-V2/V3; absent: multi-head or
   * grouped-query attention). The KV cache holds, per token and layer, one
   * compressed vector of `kv_lora_rank` plus the shared rotary key of
   * `qk_rope_head_dim`.
   */
  kv_lora_rank: positiveInt.optional(),
  /** Rank of the query's compression; null (or absent) where queries are projected directly. */
  q_lora_rank: positiveInt.nullable().optional(),
  /** Per head: query and key dimensions without and with rotary embedding, and the value's. */
  qk_nope_head_dim: positiveInt.optional(),
  qk_rope_head_dim: positiveInt.optional(),
  v_head_dim: positiveInt.optional(),
});

/** The architecture fields that describe a mixture of experts. */
export const EXPERT_FIELDS = ['n_routed_experts', 'num_experts_per_tok', 'moe_intermediate_size', 'n_shared_experts', 'shared_expert_intermediate_size', 'first_k_dense_replace', 'mlp_only_layers', 'decoder_sparse_step'] as const;
/** The architecture fields that describe multi-head latent attention. */
export const LATENT_ATTENTION_FIELDS = ['kv_lora_rank', 'q_lora_rank', 'qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim'] as const;

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

/**
 * Named precisions: what is stored and computed for weights, activations,
 * the KV cache and biases. `weightBits` is the width weights really stream
 * with where it differs from the hardware's convention for their dtype.
 */
export const PRECISION_PRESETS = {
  /** FlightLLM's mapping: every tensor labelled int8, weights streamed at the hardware's convention for int8 (4 bits on FlightLLM's boards). */
  flightllm: { weights: 'int8', activations: 'int8', kvCache: 'int8', bias: 'int32' },
  FP16: { weights: 'fp16', activations: 'fp16', kvCache: 'fp16', bias: 'fp16' },
  BF16: { weights: 'bf16', activations: 'bf16', kvCache: 'bf16', bias: 'bf16' },
  /** INT8: 8-bit weights and activations (SmoothQuant-style W8A8), int8 KV cache. */
  W8A8: { weights: 'int8', weightBits: 8, activations: 'int8', kvCache: 'int8', bias: 'int32' },
  /** 8-bit weights, fp16 activations and KV cache, one scale per output channel. */
  W8A16: { weights: 'int8', weightBits: 8, activations: 'fp16', kvCache: 'fp16', bias: 'fp16' },
  /** 4-bit weights, fp16 activations and KV cache, scales folded away (no group overhead). */
  W4A16: { weights: 'int4', activations: 'fp16', kvCache: 'fp16', bias: 'fp16' },
  W4A8: { weights: 'int4', activations: 'int8', kvCache: 'int8', bias: 'int32' },
  /**
   * GPTQ and AWQ: weights quantised in groups of 128 along K, each group of
   * each output column with an fp16 scale and a zero point packed at the
   * weight's width (GPTQ's and AWQ's qzeros), as vLLM's kernels read them.
   */
  'GPTQ-W4A16': { weights: 'int4', activations: 'fp16', kvCache: 'fp16', bias: 'fp16', groupSize: 128, groupBits: 16 + 4 },
  'GPTQ-W8A16': { weights: 'int8', weightBits: 8, activations: 'fp16', kvCache: 'fp16', bias: 'fp16', groupSize: 128, groupBits: 16 + 8 },
  'AWQ-W4A16': { weights: 'int4', activations: 'fp16', kvCache: 'fp16', bias: 'fp16', groupSize: 128, groupBits: 16 + 4 },
  /** FP8 (e4m3) weights and activations with per-tensor scales; the KV cache stays fp16 unless set (vLLM's default). */
  FP8: { weights: 'fp8', activations: 'fp8', kvCache: 'fp16', bias: 'fp16' },
} as const satisfies Record<string, { weights: Dtype; weightBits?: number; activations: Dtype; kvCache: Dtype; bias: Dtype; groupSize?: number; groupBits?: number }>;
export type PrecisionPreset = keyof typeof PRECISION_PRESETS;
export const PRECISION_PRESET_NAMES = Object.keys(PRECISION_PRESETS) as PrecisionPreset[];
/** Other names users write for the presets. */
const PRESET_ALIASES: Readonly<Record<string, PrecisionPreset>> = { INT8: 'W8A8', GPTQ: 'GPTQ-W4A16', AWQ: 'AWQ-W4A16' };

const presetName = z
  .string()
  .transform((name, context) => {
    const preset = (PRESET_ALIASES[name] ?? name) as PrecisionPreset;
    if (preset in PRECISION_PRESETS) return preset;
    context.addIssue({ code: 'custom', message: `unknown precision "${name}"; expected one of ${[...PRECISION_PRESET_NAMES, ...Object.keys(PRESET_ALIASES)].join(', ')}` });
    return z.NEVER;
  });

/** A precision: a preset's name, or a preset (default flightllm) with any of its fields overridden, e.g. `{ preset: W4A16, kvCache: int8 }`. */
export const PrecisionSchema = z
  .union([
    presetName,
    z.strictObject({
      preset: presetName.optional(),
      weights: z.enum(DTYPES).optional(),
      /** Bits each weight element is stored and streamed with, where that differs from the hardware's convention for `weights`. */
      weightBits: z.number().int().positive().max(32).optional(),
      activations: z.enum(DTYPES).optional(),
      kvCache: z.enum(DTYPES).optional(),
      bias: z.enum(DTYPES).optional(),
      /** Weights along K per quantisation group (GPTQ, AWQ); each group of each output column carries `groupBits`. */
      groupSize: z.number().int().positive().optional(),
      /** Bits of a group's scale and zero point. */
      groupBits: z.number().int().positive().max(64).optional(),
    }),
  ])
  .transform((value) => resolvePrecision(typeof value === 'string' ? { preset: value } : value));

export interface Precision {
  /** The preset the precision starts from. */
  readonly preset: PrecisionPreset;
  readonly weights: Dtype;
  readonly weightBits: number | undefined;
  readonly activations: Dtype;
  readonly kvCache: Dtype;
  readonly bias: Dtype;
  /** Quantisation groups: weights along K per group, and the bits of each group's scale and zero point. */
  readonly group: { readonly size: number; readonly bits: number } | undefined;
}

type PresetFields = { weights: Dtype; weightBits?: number; activations: Dtype; kvCache: Dtype; bias: Dtype; groupSize?: number; groupBits?: number };

function resolvePrecision(value: Partial<PresetFields> & { preset?: PrecisionPreset }): Precision {
  const preset = value.preset ?? 'flightllm';
  const base: PresetFields = PRECISION_PRESETS[preset];
  const groupSize = value.groupSize ?? base.groupSize;
  const groupBits = value.groupBits ?? base.groupBits;
  return {
    preset,
    weights: value.weights ?? base.weights,
    weightBits: value.weightBits ?? (value.weights === undefined ? base.weightBits : undefined),
    activations: value.activations ?? base.activations,
    kvCache: value.kvCache ?? base.kvCache,
    bias: value.bias ?? base.bias,
    // A group size alone keeps the preset's per-group bits, or an fp16 scale and a zero point at the weight's width.
    group: groupSize === undefined ? undefined : { size: groupSize, bits: groupBits ?? 16 + dtypeBits(value.weights ?? base.weights) },
  };
}

/**
 * How a mixture of experts' tokens spread over its routed experts: an
 * assumption of the deployment, reported beside every result it shapes.
 * `uniform`: every expert equally likely (each token's top-k a uniform draw);
 * `zipf`: the expert of popularity rank r (from 1) is chosen with a weight
 * 1 / r^exponent, a skew some experts attract.
 */
export const ExpertLoadSchema = z.discriminatedUnion('distribution', [
  z.strictObject({ distribution: z.literal('uniform') }),
  z.strictObject({ distribution: z.literal('zipf'), exponent: z.number().positive() }),
]);
export type ExpertLoad = z.infer<typeof ExpertLoadSchema>;

export const MappingSchema = z.strictObject({
  /** Longest sequence the deployment supports; at most the hardware's. */
  maxTokens: positiveInt.optional(),
  /** Data types of weights, activations, KV cache and biases: a preset's name or an object. */
  precision: PrecisionSchema.prefault('flightllm'),
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
  /** How tokens spread over routed experts (a mixture of experts only); default uniform. */
  expertLoad: ExpertLoadSchema.optional(),
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
  /**
   * Set when the precision is a checkpoint's (a Hugging Face config's
   * `torch_dtype` or `quantization_config`): how its weights were saved, not
   * a deployment choice. A board whose tool flow quantises every model to its
   * own precision (FlightLLM's) runs that instead (`precisionOnBoard`).
   */
  checkpoint: z.strictObject({ torchDtype: z.string().optional(), quantMethod: z.string().optional() }).optional(),
});

/** A validated model description, with every default filled in. */
export type Model = z.infer<typeof ModelSchema>;
export type Architecture = z.infer<typeof ArchitectureSchema>;
export type Mapping = z.infer<typeof MappingSchema>;
