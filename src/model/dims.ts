import type { ExpertLoad, Model, Projection } from './schema.js';

/** A mixture of experts' dimensions, defaults resolved. */
export interface ExpertDims {
  /** Routed experts of each sparse layer (E). */
  readonly routed: number;
  /** Routed experts each token runs (k). */
  readonly topK: number;
  /** Width of one routed expert's SwiGLU network. */
  readonly intermediate: number;
  /** Shared experts every token runs, and the width of each. */
  readonly shared: number;
  readonly sharedIntermediate: number;
  /** Whether each transformer layer's feed-forward network is sparse (routed experts) or dense. */
  readonly sparseLayers: readonly boolean[];
  /** How tokens spread over the routed experts. */
  readonly load: ExpertLoad;
}

/** Multi-head latent attention's dimensions (DeepSeek-V2/V3). */
export interface LatentAttentionDims {
  /** Width of the compressed key/value vector each token keeps per layer. */
  readonly kvLoraRank: number;
  /** Rank of the query's compression; undefined where queries are projected directly. */
  readonly qLoraRank: number | undefined;
  /** Per head: query/key dimensions without rotary embedding, with it, and the value's. */
  readonly qkNopeHeadDim: number;
  readonly qkRopeHeadDim: number;
  readonly vHeadDim: number;
}

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
  /** Width of a dense layer's feed-forward network. */
  readonly intermediate: number;
  readonly vocab: number;
  readonly biased: ReadonlySet<Projection>;
  /** Kept fraction of each projection's weights. */
  readonly keep: Readonly<Record<Projection, number>>;
  /** The mixture of experts, where the model is one. */
  readonly experts: ExpertDims | undefined;
  /** Multi-head latent attention, where the model uses it. */
  readonly latent: LatentAttentionDims | undefined;
  /**
   * KV-cache elements one token keeps in one layer: a key and a value of
   * kvHeads × headDim each, or latent attention's compressed vector and
   * rotary key.
   */
  readonly kvElementsPerToken: number;
}

export function modelDims(model: Model): ModelDims {
  const a = model.architecture;
  const heads = a.num_attention_heads;
  const kvHeads = a.num_key_value_heads ?? heads;
  const headDim = a.head_dim ?? a.hidden_size / heads;
  const biased = new Set<Projection>(model.mapping.biasedProjections ?? (a.attention_bias === true ? ['q', 'k', 'v'] : []));
  const keep = { ...FULL_KEEP, ...model.mapping.weightSparsity };
  const latent = latentDims(model);
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
    experts: expertDims(model),
    latent,
    kvElementsPerToken: latent === undefined ? 2 * kvHeads * headDim : latent.kvLoraRank + latent.qkRopeHeadDim,
  };
}

const FULL_KEEP: Readonly<Record<Projection, number>> = { q: 1, k: 1, v: 1, o: 1, gate: 1, up: 1, down: 1, lmHead: 1 };

function expertDims(model: Model): ExpertDims | undefined {
  const a = model.architecture;
  if (a.n_routed_experts === undefined) return undefined;
  const moeIntermediate = a.moe_intermediate_size ?? a.intermediate_size;
  const dense = new Set(a.mlp_only_layers ?? []);
  const step = a.decoder_sparse_step ?? 1;
  const firstSparse = a.first_k_dense_replace ?? 0;
  const sparseLayers = Array.from({ length: a.num_hidden_layers }, (_, l) => l >= firstSparse && !dense.has(l) && (l + 1) % step === 0);
  return {
    routed: a.n_routed_experts,
    topK: a.num_experts_per_tok ?? 1,
    intermediate: moeIntermediate,
    shared: a.n_shared_experts ?? (a.shared_expert_intermediate_size === undefined ? 0 : 1),
    sharedIntermediate: a.shared_expert_intermediate_size ?? moeIntermediate,
    sparseLayers,
    load: model.mapping.expertLoad ?? { distribution: 'uniform' },
  };
}

function latentDims(model: Model): LatentAttentionDims | undefined {
  const a = model.architecture;
  if (a.kv_lora_rank === undefined) return undefined;
  // checkArchitecture requires the per-head dimensions beside kv_lora_rank.
  return {
    kvLoraRank: a.kv_lora_rank,
    qLoraRank: a.q_lora_rank ?? undefined,
    qkNopeHeadDim: a.qk_nope_head_dim!,
    qkRopeHeadDim: a.qk_rope_head_dim!,
    vHeadDim: a.v_head_dim!,
  };
}

/** Whether transformer layer `layer` runs routed experts. */
export function isSparseLayer(d: ModelDims, layer: number): boolean {
  return d.experts?.sparseLayers[layer] === true;
}

/** One kind of weight matrix: `count` matrices of rows × cols in the whole model. */
export interface WeightMatrix {
  /** The projection, or what the matrix is where it is none of them. */
  readonly projection: Projection | MatrixRole;
  readonly rows: number;
  readonly cols: number;
  readonly count: number;
  /** How many of the `count` matrices one token's forward pass reads (all of them, but for routed experts). */
  readonly activeCount: number;
}

/** Weight matrices of mixtures of experts and latent attention. */
export type MatrixRole = (typeof MATRIX_ROLES)[number];

/**
 * Weight matrices beside the eight projections: a mixture of experts'
 * router, routed and shared experts; latent attention's query compression
 * (qA, qB), key/value compression (kvA) and its up-projection kv_b split
 * per head into the key part absorbed into the query (absorbK) and the
 * value part applied to the attention output (absorbV).
 */
export const MATRIX_ROLES = ['qA', 'qB', 'kvA', 'absorbK', 'absorbV', 'router', 'sharedGate', 'sharedUp', 'sharedDown', 'expertGate', 'expertUp', 'expertDown'] as const;

/**
 * The model's weight matrices (no embedding table: FlightLLM's input layer
 * receives embeddings), with how many of each one token reads: every
 * matrix, but only top-k of each sparse layer's routed experts.
 */
export function weightMatrices(d: ModelDims): WeightMatrix[] {
  const all = (projection: WeightMatrix['projection'], rows: number, cols: number, count: number): WeightMatrix => ({ projection, rows, cols, count, activeCount: count });
  const dense = d.layers - sparseLayerCount(d);
  const matrices = [...attentionMatrices(d), all('gate', d.hidden, d.intermediate, dense), all('up', d.hidden, d.intermediate, dense), all('down', d.intermediate, d.hidden, dense)];
  const e = d.experts;
  if (e !== undefined) {
    const sparse = sparseLayerCount(d);
    const routed = (projection: MatrixRole, rows: number, cols: number): WeightMatrix => ({ projection, rows, cols, count: sparse * e.routed, activeCount: sparse * e.topK });
    matrices.push(all('router', d.hidden, e.routed, sparse), routed('expertGate', d.hidden, e.intermediate), routed('expertUp', d.hidden, e.intermediate), routed('expertDown', e.intermediate, d.hidden));
    const sharedWidth = e.shared * e.sharedIntermediate;
    if (sharedWidth > 0) matrices.push(all('sharedGate', d.hidden, sharedWidth, sparse), all('sharedUp', d.hidden, sharedWidth, sparse), all('sharedDown', sharedWidth, d.hidden, sparse));
  }
  matrices.push(all('lmHead', d.hidden, d.vocab, 1));
  return matrices.filter((m) => m.count > 0);
}

function sparseLayerCount(d: ModelDims): number {
  return d.experts?.sparseLayers.filter(Boolean).length ?? 0;
}

function attentionMatrices(d: ModelDims): WeightMatrix[] {
  const all = (projection: WeightMatrix['projection'], rows: number, cols: number): WeightMatrix => ({ projection, rows, cols, count: d.layers, activeCount: d.layers });
  const m = d.latent;
  if (m === undefined) return [all('q', d.hidden, d.qWidth), all('k', d.hidden, d.kvWidth), all('v', d.hidden, d.kvWidth), all('o', d.qWidth, d.hidden)];
  const queryWidth = d.heads * (m.qkNopeHeadDim + m.qkRopeHeadDim);
  const query = m.qLoraRank === undefined ? [all('q', d.hidden, queryWidth)] : [all('qA', d.hidden, m.qLoraRank), all('qB', m.qLoraRank, queryWidth)];
  // kv_b_proj (kv_lora_rank → heads × (nope + v)), as one matrix per head for each of its two parts.
  const perHead = (projection: MatrixRole, rows: number, cols: number): WeightMatrix => ({ projection, rows, cols, count: d.layers * d.heads, activeCount: d.layers * d.heads });
  return [...query, all('kvA', d.hidden, m.kvLoraRank + m.qkRopeHeadDim), perHead('absorbK', m.qkNopeHeadDim, m.kvLoraRank), perHead('absorbV', m.kvLoraRank, m.vHeadDim), all('o', d.heads * m.vHeadDim, d.hidden)];
}

/** Parameters of the model's weight matrices, and those one token's forward pass reads. */
export function parameterCounts(d: ModelDims): { readonly total: number; readonly active: number } {
  let total = 0;
  let active = 0;
  for (const m of weightMatrices(d)) {
    total += m.rows * m.cols * m.count;
    active += m.rows * m.cols * m.activeCount;
  }
  return { total, active };
}
