import type { Model, Projection } from './schema.js';

/** A model's dimensions as the compiler uses them, defaults resolved. */
export interface ModelDims {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Width of the query projection (heads × headDim) and of key and value (kvHeads × headDim). */
  readonly qWidth: number;
  readonly kvWidth: number;
  readonly intermediate: number;
  readonly vocab: number;
  readonly biased: ReadonlySet<Projection>;
  /** Kept fraction of each projection's weights. */
  readonly keep: Readonly<Record<Projection, number>>;
}

export function modelDims(model: Model): ModelDims {
  const a = model.architecture;
  const heads = a.num_attention_heads;
  const kvHeads = a.num_key_value_heads ?? heads;
  const headDim = a.head_dim ?? a.hidden_size / heads;
  const biased = new Set<Projection>(model.mapping.biasedProjections ?? (a.attention_bias === true ? ['q', 'k', 'v'] : []));
  const keep = { q: 1, k: 1, v: 1, o: 1, gate: 1, up: 1, down: 1, lmHead: 1, ...model.mapping.weightSparsity };
  return {
    layers: a.num_hidden_layers,
    hidden: a.hidden_size,
    heads,
    kvHeads,
    headDim,
    qWidth: heads * headDim,
    kvWidth: kvHeads * headDim,
    intermediate: a.intermediate_size,
    vocab: a.vocab_size,
    biased,
    keep,
  };
}
