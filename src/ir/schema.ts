import { z } from 'zod';
import { DTYPES } from '../dtype.js';

/*
 * FlightLLM's IR format: a YAML list of layers, each with input and output
 * tensors, optional parameters and a `structure` mapping whose keys depend on
 * the layer type. Key names follow the format (snake_case) so files
 * round-trip unchanged.
 */

export { DTYPES, type Dtype } from '../dtype.js';

export const TensorSchema = z.strictObject({
  name: z.string().min(1),
  shape: z.array(z.number().int().positive()).min(1),
  dtype: z.enum(DTYPES),
  /** HBM byte address; FlightLLM's pre-generated IR leaves every address 0. */
  addr: z.number().int().nonnegative(),
});
export type Tensor = z.infer<typeof TensorSchema>;

export const ParamSchema = TensorSchema.extend({
  sparse_flag: z.boolean().optional(),
  /** Fraction of weights kept (1 = dense). */
  sparse_ratio: z.number().positive().max(1).optional(),
  /**
   * Ours, not FlightLLM's: bits each element occupies in memory and streams
   * with, where the hardware's convention for the dtype would say otherwise
   * (calibration.weightStreamBits).
   */
  stream_bits: z.number().int().positive().max(64).optional(),
  /**
   * Ours: group-wise quantisation (GPTQ, AWQ). Every `group_size` weights
   * along K of each output column share a scale and a zero point of
   * `group_bits` bits together, stored and streamed beside the weights.
   */
  group_size: z.number().int().positive().optional(),
  group_bits: z.number().int().positive().max(64).optional(),
});
export type Param = z.infer<typeof ParamSchema>;

const tensors = z.array(TensorSchema);
const params = z.array(ParamSchema);

const linearStructure = z.strictObject({
  bias_flag: z.boolean(),
  mask_mode: z.enum(['fsb', 'none']),
  relu_flag: z.boolean(),
  /**
   * Ours, not FlightLLM's: a routed expert's linear layer, numbered among
   * the experts its transformer layer runs in the step (0 for the first).
   * Kinds that run a layer's experts as one grouped kernel (fused MoE) launch
   * it once, with the first.
   */
  expert_slot: z.number().int().nonnegative().optional(),
});
const attentionStructure = z.strictObject({ bias_flag: z.boolean(), mask_mode: z.enum(['qkt', 'qktv', 'none']), relu_flag: z.boolean() });

/** Keys in FlightLLM's order: name, type, input, output, [param], structure. */
const layer = <T extends string, Extra extends z.ZodRawShape>(type: T, extra: Extra) =>
  z.strictObject({ name: z.string().min(1), type: z.literal(type), input: tensors, output: tensors, ...extra });
const empty = z.strictObject({});

/**
 * Ours, not FlightLLM's: a batched step's input layer declares its sequences
 * (new tokens and cached context of each, in row order). FlightLLM's files
 * declare none: one sequence in its prefill or decode shape.
 */
const inputStructure = z.strictObject({
  sequences: z.array(z.strictObject({ new_tokens: z.number().int().positive(), context: z.number().int().nonnegative() })).min(1).optional(),
});

export const LayerSchema = z.discriminatedUnion('type', [
  layer('input', { structure: inputStructure }),
  layer('output', { structure: empty }),
  layer('linear_mm', { param: params, structure: linearStructure }),
  layer('linear_mv', { param: params, structure: linearStructure }),
  layer('attention_mm', { param: params, structure: attentionStructure }),
  layer('attention_mv', { param: params, structure: attentionStructure }),
  layer('softmax', { structure: z.strictObject({ dim: z.number().int() }) }),
  layer('layernorm', { param: params, structure: z.strictObject({ bias_flag: z.boolean(), RMS_flag: z.boolean() }) }),
  layer('eltwise', { structure: z.strictObject({ eltwise_type: z.enum(['eltwise_add', 'eltwise_mul']) }) }),
  layer('silu', { structure: empty }),
  layer('concat', { structure: z.strictObject({ dim: z.number().int() }) }),
]);


export const IrSchema = z.array(LayerSchema).min(1);

/** One IR layer. */
export type Layer = z.infer<typeof LayerSchema>;
export type LayerType = Layer['type'];
/** A whole IR: the layers in execution order. */
export type Ir = readonly Layer[];
export type LayerOf<T extends LayerType> = Extract<Layer, { type: T }>;
