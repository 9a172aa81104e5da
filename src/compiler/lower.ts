import type { LoweringTarget } from './target.js';
import type { Dtype, Layer, LayerType, Param, Tensor } from '../ir/index.js';
import { isSparseLayer, modelDims, PROJECTIONS, type Model, type ModelDims, type Precision, type Projection } from '../model/index.js';
import { batchRows, stepFormOn, type BatchShape, type StepForm } from '../batch.js';
import type { LayerEmitter, LayerTag, LinearEngine, LinearEngines, LinearRole, LinearSpec, Part, Ref, Shape } from './emitter.js';
import { expertFeedForward } from './experts.js';
import { latentProjections, latentValues } from './latent.js';
import { AddressPlanner, bytesOf, dtypeBits, type MemoryPlan } from './memory.js';
import { maskParameterName, namingFor, parameterName, type Naming } from './naming.js';

export type { LayerTag, LinearEngine, LinearEngines, LinearRole } from './emitter.js';

/*
 * Lowering one accelerator step of a model to FlightLLM's IR format.
 *
 * Token-wise layers (norms, projections, RoPE, residuals, the MLP) run once
 * over the M = Σ newTokens rows of every sequence together, so each weight
 * streams once per step. Attention and the KV-cache append run per sequence,
 * each over its own cache: a prompt chunk attends to its context plus itself
 * (causal within the chunk), a decode reads its cache in matrix-vector form.
 * The LM head runs on one row per sequence, where a token is sampled.
 *
 * FlightLLM's two single-sequence shapes (batch.ts) are lowered exactly as
 * FlightLLM's compiler lowers them, names and all, so that its IR files and
 * ours compare layer for layer: the LM head over every prompt row, the
 * projections' K and V written straight into the cache in prefill. Every
 * tensor is built with its memory role and kind stated; names come from the
 * naming scheme (naming.ts) and are never parsed.
 */

export interface LoweringInput {
  readonly model: Model;
  readonly target: LoweringTarget;
  readonly batch: BatchShape;
  /** Longest sequence: the KV cache of FlightLLM's forms is laid out for it. */
  readonly maxTokens: number;
  /** Engine of each projection where it has more than one row; default the matrix-matrix engine. */
  readonly linearEngines?: LinearEngines | undefined;
  /** Lower in our batched form even where FlightLLM has one (cost probes of token-wise layers). */
  readonly batchedForm?: boolean | undefined;
  /** Which parts of the step to emit; default all of it. */
  readonly parts?: LoweringParts | undefined;
}

/**
 * Parts of a step, for costing them apart. The input marker is always
 * emitted: it declares the step's sequences, which every part's cost may
 * depend on.
 */
export interface LoweringParts {
  /** Transformer layers whose token-wise layers are emitted. */
  readonly tokenwise: 'all' | readonly number[];
  /** Sequences whose attention and KV-cache append are emitted. */
  readonly attention: 'all' | readonly number[];
  /** The transformer layers their attention is emitted in; default every one. */
  readonly attentionLayers?: readonly number[] | undefined;
  /** The final norm, the LM head and the output marker. */
  readonly head: boolean;
}

export interface Lowered {
  readonly layers: Layer[];
  readonly form: StepForm;
  readonly memory: MemoryPlan;
  /** Tensors the emitted layers read that a layer left out produces, with that layer's type. */
  readonly producedOutside: ReadonlyMap<string, LayerType>;
  /** The engine each linear role of the model runs on (a routed expert's: the first expert's). */
  readonly engines: LinearEngines;
  /** What each emitted layer does, by position. */
  readonly tags: readonly LayerTag[];
}

export function lower(input: LoweringInput): Lowered {
  const lowering = new Lowering(input);
  lowering.inputLayer();
  const needed = layersNeeded(input.parts, lowering.dims.layers);
  for (let layer = 0; layer < lowering.dims.layers; layer++) if (needed(layer)) lowering.block(layer);
  if (input.parts === undefined || input.parts.head) lowering.head();
  return lowering.result();
}

/**
 * The transformer layers a part of a step needs built: its own, and those
 * whose layers produce what it reads (the layer before a token-wise layer,
 * every layer for attention, the last for the head). Addresses of a part
 * differ from the whole step's; costs do not depend on them.
 */
function layersNeeded(parts: LoweringParts | undefined, layers: number): (layer: number) => boolean {
  if (parts === undefined || parts.tokenwise === 'all') return () => true;
  const attends = parts.attention === 'all' || parts.attention.length > 0;
  if (attends && parts.attentionLayers === undefined) return () => true;
  const wanted = new Set<number>(attends ? parts.attentionLayers : []);
  for (const layer of parts.tokenwise) [layer - 1, layer].filter((l) => l >= 0).forEach((l) => wanted.add(l));
  if (parts.head) wanted.add(layers - 1);
  return (layer) => wanted.has(layer);
}

/** Where a sequence's rows sit among the step's M rows. */
interface SequenceRows {
  readonly index: number;
  readonly first: number;
  readonly newTokens: number;
  readonly context: number;
}

/** Shapes of one attention: key/value heads, the width queries and keys meet in, the values' width, and whether values are read from the keys' cache. */
interface AttentionGeometry {
  readonly kvHeads: number;
  readonly qkDim: number;
  readonly vDim: number;
  /** Latent attention's values are the first vDim columns of the cached compressed vector the keys are. */
  readonly valuesInKeys: boolean;
}

class Lowering implements LayerEmitter {
  readonly dims: ModelDims;
  readonly form: StepForm;
  private readonly emitted: Array<{ layer: Layer; part: Part; tag: LayerTag }> = [];
  private readonly planner = new AddressPlanner();
  private readonly naming: Naming;
  private readonly precision: Precision;
  /** Rows of every token-wise activation. */
  readonly rows: number;
  /** Rows the final norm and the LM head compute. */
  private readonly headRows: number;
  private readonly sequences: readonly SequenceRows[];
  readonly engines: Partial<Record<LinearRole, LinearEngine>>;
  readonly widthUnit: number;

  constructor(private readonly input: LoweringInput) {
    this.dims = modelDims(input.model);
    this.form = input.batchedForm === true ? { kind: 'batched' } : stepFormOn(input.batch, input.target);
    this.naming = namingFor(this.form);
    this.precision = input.model.mapping.precision;
    this.rows = batchRows(input.batch);
    let first = 0;
    this.sequences = input.batch.sequences.map((s, index) => {
      const rows = { index, first, newTokens: s.newTokens, context: s.context };
      first += s.newTokens;
      return rows;
    });
    // FlightLLM's prefill runs the LM head over every prompt row; a step needs one row per sequence.
    this.headRows = this.form.kind === 'prefill' ? this.rows : this.sequences.length;
    this.widthUnit = leastCommonMultiple(input.target.blockSize, input.target.vectorRowElements ?? 1);
    this.engines = this.chooseEngines();
  }

  /** The engine of each linear role the model has, at the rows it runs (routed experts: set as they are lowered). */
  private chooseEngines(): Partial<Record<LinearRole, LinearEngine>> {
    const roles = linearRoles(this.dims).filter((role) => !ROUTED_ROLES.has(role));
    return Object.fromEntries(roles.map((role) => [role, this.engineFor(role, role === 'lmHead' ? this.headRows : this.rows)]));
  }

  /** One row runs on the matrix-vector engine; FlightLLM's forms run more on the matrix-matrix engine; a batched step as asked. */
  private engineFor(role: LinearRole, rows: number): LinearEngine {
    if (rows === 1) return 'mv';
    if (this.form.kind !== 'batched') return 'mm';
    return this.input.linearEngines?.[role] ?? 'mm';
  }

  private get prefillForm(): boolean {
    return this.form.kind === 'prefill';
  }

  inputLayer(): void {
    const shape = [1, this.rows, this.dims.hidden];
    const structure = this.form.kind === 'batched' ? { sequences: this.input.batch.sequences.map((s) => ({ new_tokens: s.newTokens, context: s.context })) } : {};
    const output = [this.act('hidden_states', 0)(shape), this.act('RoPE_sin_cache')(shape), this.act('RoPE_cos_cache')(shape)];
    this.push({ name: this.naming.layer('input_layer'), type: 'input', input: [], output, structure }, { kind: 'input' }, 'input');
  }

  block(l: number): void {
    const d = this.dims;
    const part: Part = { kind: 'tokenwise', layer: l };
    const hidden = [1, this.rows, d.hidden];
    const states = this.act('hidden_states', l, hidden);
    const normed = this.norm({ base: `input_layer_norm_layer_${l}`, input: states, output: this.act('hidden_states_in', l, hidden), part, tag: 'attn_norm' });
    const attnOutput = this.act('attn_output', l, hidden);
    if (d.latent === undefined) this.multiHeadAttention(l, { input: normed, output: attnOutput, part });
    else this.latentAttention(l, { input: normed, output: attnOutput, part });
    const sum = this.act('hidden_sum', l, hidden);
    this.eltwise({ base: `hidden_sum_layer_${l}`, kind: 'eltwise_add', inputs: [states, attnOutput], output: sum, shape: hidden, part, tag: 'residual' });
    const normedSum = this.norm({ base: `final_layer_norm_layer_${l}`, input: sum, output: this.act('hidden_layernorm', l, hidden), part, tag: 'mlp_norm' });
    const next = l === d.layers - 1 ? this.act('hidden_add', l, hidden) : this.act('hidden_states', l + 1, hidden);
    const ffn = { input: normedSum, residual: sum, next, part };
    if (isSparseLayer(d, l)) expertFeedForward(this, l, ffn);
    else this.feedForward(l, ffn);
  }

  /** Multi-head (or grouped-query) attention: q, k, v with rotary embedding, each sequence's attention, the output projection. */
  private multiHeadAttention(l: number, a: { input: Ref; output: Ref; part: Part }): void {
    const d = this.dims;
    const q = this.act('q_proj_out_t', l, [d.heads, this.rows, d.headDim]);
    this.projectWithRope({ projection: 'q', l, input: a.input, output: q, part: a.part });
    // FlightLLM's prefill writes K and V straight into the cache; elsewhere they are activations the append reads.
    const k = this.prefillForm ? this.kv('key', 'after', l, 0) : this.act('k_proj_out_t', l, [d.kvHeads, this.rows, d.headDim]);
    this.projectWithRope({ projection: 'k', l, input: a.input, output: k, part: a.part });
    const v = this.prefillForm ? this.kv('value', 'after', l, 0) : this.act('v_proj_out_t', l, [d.kvHeads, this.rows, d.headDim]);
    this.linear({ base: `v_proj_layer_${l}`, role: 'v', input: a.input, output: v, part: a.part });
    const attended = this.act('qktv_t', l, [d.heads, this.rows, d.headDim]);
    const geometry: AttentionGeometry = { kvHeads: d.kvHeads, qkDim: d.headDim, vDim: d.headDim, valuesInKeys: false };
    for (const sequence of this.sequences) this.attention(l, sequence, { q, k, v, out: attended }, geometry);
    this.linear({ base: `out_proj_layer_${l}`, role: 'o', input: attended, output: a.output, part: a.part });
  }

  /**
   * Latent attention with the up-projections absorbed (latent.ts): every
   * query head attends over the cached compressed vectors, one shared
   * "key/value head" of kv_lora_rank + rope columns.
   */
  private latentAttention(l: number, a: { input: Ref; output: Ref; part: Part }): void {
    const { heads } = this.dims;
    const m = this.dims.latent!;
    const { q, latent } = latentProjections(this, l, a);
    const attendedLatent = this.act('qktv_latent', l, [heads, this.rows, m.kvLoraRank]);
    const geometry: AttentionGeometry = { kvHeads: 1, qkDim: m.kvLoraRank + m.qkRopeHeadDim, vDim: m.kvLoraRank, valuesInKeys: true };
    for (const sequence of this.sequences) this.attention(l, sequence, { q, k: latent, v: latent, out: attendedLatent }, geometry);
    const attended = this.act('qktv_t', l, [heads, this.rows, m.vHeadDim]);
    latentValues(this, l, { input: attendedLatent, output: attended, part: a.part });
    this.linear({ base: `out_proj_layer_${l}`, role: 'o', input: attended, output: a.output, part: a.part, k: heads * m.vHeadDim, n: this.dims.hidden });
  }

  /** SwiGLU: down(silu(gate(x)) × up(x)), then the residual add. */
  private feedForward(l: number, f: { input: Ref; residual: Ref; next: Ref; part: Part }): void {
    const d = this.dims;
    const wide = [1, this.rows, d.intermediate];
    const hidden = [1, this.rows, d.hidden];
    const gate = this.act('hidden_gate', l, wide);
    this.linear({ base: `gate_layer_${l}`, role: 'gate', input: f.input, output: gate, part: f.part });
    const silu = this.act('hidden_silu', l, wide);
    this.push({ name: this.naming.layer(`activation_fn_layer_${l}`), type: 'silu', input: [gate()], output: [silu()], structure: {} }, f.part, 'silu');
    const up = this.act('hidden_up', l, wide);
    this.linear({ base: `up_layer_${l}`, role: 'up', input: f.input, output: up, part: f.part });
    const product = this.act('hidden_mul', l, wide);
    this.eltwise({ base: `hidden_mul_layer_${l}`, kind: 'eltwise_mul', inputs: [up, silu], output: product, shape: wide, part: f.part, tag: 'gate_mul' });
    const down = this.act('hidden_down', l, hidden);
    this.linear({ base: `down_layer_${l}`, role: 'down', input: product, output: down, part: f.part });
    this.eltwise({ base: `hidden_add_layer_${l}`, kind: 'eltwise_add', inputs: [f.residual, down], output: f.next, shape: hidden, part: f.part, tag: 'residual' });
  }

  /** The final norm and the LM head over the rows that sample, then the output marker. */
  head(): void {
    const d = this.dims;
    const part: Part = { kind: 'head' };
    // The last row of each sequence: every row in FlightLLM's prefill.
    const rows = [1, this.headRows, d.hidden];
    const normed = this.norm({ base: 'final_layer_norm_layer_in_decoder', input: this.act('hidden_add', d.layers - 1, rows), output: this.act('final_hidden_states', undefined, rows), part, tag: 'final_norm' });
    const logits = this.act('logits', undefined, [1, this.headRows, d.vocab]);
    this.linear({ base: 'lm_head_layer', role: 'lmHead', input: normed, output: logits, part });
    this.push({ name: this.naming.layer('output_layer'), type: 'output', input: [logits()], output: [], structure: {} }, part, 'output');
  }

  /**
   * One sequence's attention in one transformer layer: append its new keys
   * and values to its cache (when it has one), QKᵀ, softmax, and the product
   * with V. Query heads share key/value heads in groups.
   */
  private attention(l: number, s: SequenceRows, step: { q: Ref; k: Ref; v: Ref; out: Ref }, g: AttentionGeometry): void {
    const { heads } = this.dims;
    const part: Part = { kind: 'attention', sequence: s.index, layer: l };
    const n = s.newTokens;
    const total = s.context + n;
    const { keys, values } = this.cacheOf(l, s, step, { part, geometry: g });
    const own = this.form.kind === 'batched' ? s.index : undefined;
    const type = n === 1 ? 'attention_mv' : 'attention_mm';
    const structure = (mode: 'qkt' | 'qktv') => ({ bias_flag: false, mask_mode: type === 'attention_mm' ? mode : ('none' as const), relu_flag: false });
    const scores = this.act('qkt_mm', l, [heads, n, total], own, this.scoresOnChip);
    const input = [this.rowsOf(step.q, s)([heads, n, g.qkDim]), keys([g.kvHeads, g.qkDim, total])];
    this.push({ name: this.naming.layer(`attention_qkt_${l}`, own), type, input, output: [scores()], param: [this.maskParameter(l)], structure: structure('qkt') }, part, 'qkt');
    const probabilities = this.act('qkt_softmax', l, [heads, n, total], own, this.scoresOnChip);
    this.push({ name: this.naming.layer(`softmax_${l}`, own), type: 'softmax', input: [scores()], output: [probabilities()], structure: { dim: 2 } }, part, 'softmax');
    const weighted = [probabilities(), values([g.kvHeads, total, g.vDim])];
    this.push({ name: this.naming.layer(`attention_qktv_${l}`, own), type, input: weighted, output: [this.rowsOf(step.out, s)([heads, n, g.vDim])], param: [this.maskParameter(l)], structure: structure('qktv') }, part, 'qktv');
  }

  /**
   * The keys and values attention reads. With no context they are the
   * step's own (FlightLLM's prefill: already the cache); otherwise the new
   * rows are appended to the cache first. The append is costed as FlightLLM
   * models it (instgen concat.ts): its key cache is stored transposed, so
   * appending a token rewrites it, and the model reads the whole past cache.
   */
  private cacheOf(l: number, s: SequenceRows, step: { k: Ref; v: Ref }, c: { part: Part; geometry: AttentionGeometry }): { keys: Ref; values: Ref } {
    const { kvHeads, qkDim, valuesInKeys } = c.geometry;
    const n = s.newTokens;
    const newKeys = this.rowsOf(step.k, s);
    const newValues = this.rowsOf(step.v, s);
    if (s.context === 0) return { keys: newKeys, values: newValues };
    const own = this.form.kind === 'batched' ? s.index : undefined;
    const append = (which: 'key' | 'value', newRows: Ref, base: string): Ref => {
      const full = this.kv(which, 'after', l, s.index);
      const input = [this.kv(which, 'before', l, s.index)([kvHeads, s.context, qkDim]), newRows([kvHeads, n, qkDim])];
      this.push({ name: this.naming.layer(`${base}_${l}`, own), type: 'concat', input, output: [full([kvHeads, s.context + n, qkDim])], structure: { dim: 1 } }, c.part, 'concat');
      return full;
    };
    const keys = append('key', newKeys, 'concat_past_keys');
    // Latent attention caches one compressed vector per token: the values are part of it.
    return { keys, values: valuesInKeys ? keys : append('value', newValues, 'concat_past_values') };
  }

  /** A projection followed by rotary embedding as FlightLLM lowers it: x·sin and x·cos per head, then their sum. */
  private projectWithRope(p: { projection: 'q' | 'k'; l: number; input: Ref; output: Ref; part: Part }): void {
    const d = this.dims;
    const heads = p.projection === 'q' ? d.heads : d.kvHeads;
    const shape = [heads, this.rows, d.headDim];
    const before = this.act(`${p.projection}_proj_out_before_RoPE`, p.l, [1, this.rows, heads * d.headDim]);
    this.linear({ base: `${p.projection}_proj_layer_${p.l}`, role: p.projection, input: p.input, output: before, part: p.part });
    this.rope({ base: p.projection, l: p.l, input: before, output: p.output, shape, part: p.part, which: p.projection });
  }

  rope(spec: { base: string; l: number; input: Ref; output: Ref; shape: Shape; part: Part; which: string }): void {
    const product = (table: 'sin' | 'cos') => {
      const out = this.act(`${spec.which}_RoPE_mul_${table}`, spec.l, spec.shape);
      this.eltwise({ base: `${spec.base}_RoPE_eltwise_mul_${table}_${spec.l}`, kind: 'eltwise_mul', inputs: [spec.input, this.act(`RoPE_${table}_cache`)], output: out, shape: spec.shape, part: spec.part, tag: 'rope' });
      return out;
    };
    const [sin, cos] = [product('sin'), product('cos')];
    this.eltwise({ base: `${spec.base}_RoPE_eltwise_add_${spec.l}`, kind: 'eltwise_add', inputs: [sin, cos], output: spec.output, shape: spec.shape, part: spec.part, tag: 'rope' });
  }

  /** A linear layer [groups, M, K] × [groups, K, N]: the weight (and bias, and sparse streams) first, as FlightLLM places them. */
  linear(spec: LinearSpec): void {
    const d = this.dims;
    const projection = isProjection(spec.role) ? spec.role : undefined;
    const [k, n] = spec.k !== undefined && spec.n !== undefined ? [spec.k, spec.n] : linearDims(d, projection!);
    const m = spec.rows ?? (spec.role === 'lmHead' ? this.headRows : this.rows);
    const groups = spec.groups ?? 1;
    const keep = projection === undefined ? 1 : d.keep[projection];
    const streams = keep < 1 && this.input.model.mapping.sparseStreams;
    const biased = projection !== undefined && d.biased.has(projection);
    const param: Param[] = [this.weight(parameterName(spec.base, 'weight'), [groups, k, n], keep)];
    if (biased) param.push(this.parameter(parameterName(spec.base, 'bias'), [1, 1, n], this.precision.bias, bytesOf(n, dtypeBits(this.precision.bias))));
    if (streams) {
      const block = this.input.target.blockSize;
      const kept = Math.ceil(k * n * keep);
      // Metadata: a 4-bit position per kept weight. FSB: one byte per block.
      param.push(this.parameter(parameterName(spec.base, 'meta'), [1, 1, Math.ceil(kept / 2)], 'int8', Math.ceil(kept / 2)));
      param.push(this.parameter(parameterName(spec.base, 'fsb'), [1, Math.ceil(k / block), Math.ceil(n / block)], 'int8', Math.ceil(k / block) * Math.ceil(n / block)));
    }
    const input = [spec.input([groups, m, k])];
    const output = [spec.output([groups, m, n])];
    const engine = this.engineFor(spec.role, m);
    if (spec.slot === 0) this.engines[spec.role] = engine;
    const structure = { bias_flag: biased, mask_mode: streams ? ('fsb' as const) : ('none' as const), relu_flag: false, ...(spec.slot === undefined ? {} : { expert_slot: spec.slot }) };
    this.push({ name: this.naming.layer(spec.base), type: engine === 'mm' ? 'linear_mm' : 'linear_mv', input, output, param, structure }, spec.part, spec.role);
  }

  reserveWeight(base: string, _role: LinearRole, k: number, n: number): void {
    this.weight(parameterName(base, 'weight'), [1, k, n], 1);
  }

  layerName(base: string): string {
    return this.naming.layer(base);
  }

  /** An RMS norm; returns its output. */
  norm(spec: { base: string; input: Ref; output: Ref; part: Part; tag: LayerTag; width?: number }): Ref {
    const width = spec.width ?? this.dims.hidden;
    const input = [spec.input()];
    const output = [spec.output()];
    // Norm scales are kept at the activations' precision.
    const param = [this.parameter(parameterName(spec.base, 'weight'), [1, 1, width], this.precision.activations, bytesOf(width, dtypeBits(this.precision.activations)), { sparse_flag: false, sparse_ratio: 1 })];
    this.push({ name: this.naming.layer(spec.base), type: 'layernorm', input, output, param, structure: { bias_flag: false, RMS_flag: true } }, spec.part, spec.tag);
    return spec.output;
  }

  eltwise(spec: { base: string; kind: 'eltwise_add' | 'eltwise_mul'; inputs: readonly [Ref, Ref]; output: Ref; shape: Shape; part: Part; tag: LayerTag }): void {
    const input = spec.inputs.map((ref) => ref(spec.shape));
    this.push({ name: this.naming.layer(spec.base), type: 'eltwise', input, output: [spec.output(spec.shape)], structure: { eltwise_type: spec.kind } }, spec.part, spec.tag);
  }

  /** FlightLLM's mask parameter: compile-time only, so it has no address. */
  private maskParameter(l: number): Param {
    const cells = this.input.target.maxTokens / this.input.model.mapping.maskParameterCellTokens;
    return { name: maskParameterName(l), shape: [this.dims.heads, cells, cells], dtype: 'bool', addr: 0 };
  }

  /**
   * A weight stored in the format it streams in: the model's weight width, or
   * the hardware's convention for the dtype, per kept value. The width is
   * written into the IR (`stream_bits`) only where it departs from the convention.
   */
  private weight(name: string, shape: Shape, keep: number): Param {
    const elements = shape.reduce((product, size) => product * size, 1);
    const convention = this.input.target.weightBits(this.precision.weights);
    const bits = this.precision.weightBits ?? convention;
    const stored = this.input.target.storesPrunedWeights ? Math.ceil(elements * keep) : elements;
    const group = this.precision.group;
    // Each group of `size` weights along K of each output column (of each matrix) carries its scale and zero point.
    const groupBytes = group === undefined ? 0 : bytesOf(shape[0]! * Math.ceil(shape[1]! / group.size) * shape[2]!, group.bits);
    const param = this.parameter(name, shape, this.precision.weights, bytesOf(stored, bits) + groupBytes, { sparse_flag: keep < 1, sparse_ratio: keep });
    if (bits !== convention) param.stream_bits = bits;
    if (group !== undefined) Object.assign(param, { group_size: group.size, group_bits: group.bits });
    return param;
  }

  private parameter(name: string, shape: Shape, dtype: Dtype, bytes: number, sparsity?: { sparse_flag: boolean; sparse_ratio: number }): Param {
    const param: Param = { name, shape: [...shape], dtype, addr: 0, ...sparsity };
    this.planner.place(param, { region: 'weight', bytes });
    return param;
  }

  /** A sequence's KV cache in a transformer layer. */
  private kv(which: 'key' | 'value', version: 'before' | 'after', layer: number, sequence: number): Ref {
    const name = this.naming.kvCache(which, version, layer, sequence);
    return (shape = [this.dims.kvHeads, this.rows, this.dims.headDim]) => {
      const tensor: Tensor = { name, shape: [...shape], dtype: this.precision.kvCache, addr: 0 };
      this.planner.place(tensor, { region: 'kv', kind: which, layer, sequence });
      return tensor;
    };
  }

  /** Attention scores never reach device memory where QKᵀ, softmax and S·V run as one kernel (the target's `scoresStayOnChip`). */
  private get scoresOnChip(): boolean {
    return this.input.target.scoresStayOnChip === true;
  }

  /** An activation: one slot per role, shared by every transformer layer (and sequence); `onChip`: a slot kept on chip, taking no device memory. */
  act(role: string, layer?: number, natural?: Shape, sequence?: number, onChip = false): Ref {
    const name = this.naming.activation(role, layer, sequence);
    return (shape = natural, firstRow = 0) => {
      if (shape === undefined) throw new Error(`internal: activation ${name} needs a shape`);
      const tensor: Tensor = { name, shape: [...shape], dtype: this.precision.activations, addr: 0 };
      const bytes = this.bytesOfShape(shape);
      // Token rows are the second axis: [1, rows, width] or [heads, rows, headDim].
      this.planner.place(tensor, { region: 'activation', role, bytes, offsetBytes: firstRow * (bytes / shape[1]!), onChip });
      return tensor;
    };
  }

  /**
   * One sequence's rows of a step-wide tensor: the same tensor in the rows'
   * shape, at the address of its first row.
   */
  private rowsOf(whole: Ref, s: SequenceRows): Ref {
    return (shape) => whole(shape, s.first);
  }

  private bytesOfShape(shape: Shape): number {
    return bytesOf(shape.reduce((product, size) => product * size, 1), dtypeBits(this.precision.activations));
  }

  push(layer: Layer, part: Part, tag: LayerTag): void {
    this.emitted.push({ layer, part, tag });
  }

  result(): Lowered {
    const memory = this.planner.assign({ layers: this.dims.layers, regionBytes: this.kvRegionBytes(), regionsPerLayer: this.dims.latent === undefined ? 2 : 1 });
    const wanted = this.input.parts;
    const keep = (part: Part) => wanted === undefined || selected(part, wanted);
    const kept = this.emitted.filter(({ part }) => keep(part));
    // Engines in the order the roles run (routed experts' were learnt as they were lowered).
    const engines = Object.fromEntries(linearRoles(this.dims).flatMap((role) => (this.engines[role] === undefined ? [] : [[role, this.engines[role]]])));
    return { layers: kept.map(({ layer }) => layer), tags: kept.map(({ tag }) => tag), form: this.form, memory, producedOutside: producedOutside(this.emitted, keep), engines };
  }

  /** Bytes of one layer's key (or value) region per sequence: FlightLLM's forms lay it out for the longest sequence. */
  private kvRegionBytes(): number[] {
    const { kvHeads, headDim, latent } = this.dims;
    const perToken = latent === undefined ? kvHeads * headDim : latent.kvLoraRank + latent.qkRopeHeadDim;
    const bits = dtypeBits(this.precision.kvCache);
    if (this.form.kind !== 'batched') return [bytesOf(this.input.maxTokens * perToken, bits)];
    const block = this.input.target.kvBlockTokens;
    return this.sequences.map((s) => bytesOf(Math.ceil((s.context + s.newTokens) / block) * block * perToken, bits));
  }
}

/** Roles a routed expert's layers have: their engines come from the expert lowering. */
const ROUTED_ROLES: ReadonlySet<LinearRole> = new Set(['expertGate', 'expertUp', 'expertDown']);

function leastCommonMultiple(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}

function isProjection(role: LinearRole): role is Projection {
  return (PROJECTIONS as readonly string[]).includes(role);
}

/**
 * The linear roles a model's steps have, in the order its layers run them:
 * the eight projections for a dense model; latent attention's and the
 * experts' matrices where the model has them.
 */
export function linearRoles(d: ModelDims): LinearRole[] {
  const m = d.latent;
  const attention: LinearRole[] = m === undefined ? ['q', 'k', 'v', 'o'] : [...(m.qLoraRank === undefined ? (['q'] as const) : (['qA', 'qB'] as const)), 'absorbK', 'kvA', 'absorbV', 'o'];
  const sparse = d.experts?.sparseLayers.filter(Boolean).length ?? 0;
  const dense: LinearRole[] = sparse < d.layers ? ['gate', 'up', 'down'] : [];
  const experts: LinearRole[] = d.experts === undefined ? [] : ['router', ...(d.experts.shared > 0 ? (['sharedGate', 'sharedUp', 'sharedDown'] as const) : []), 'expertGate', 'expertUp', 'expertDown'];
  return [...attention, ...dense, ...experts, 'lmHead'];
}

/** [K, N] of a projection's weight. */
function linearDims(d: ModelDims, projection: Projection): readonly [number, number] {
  const dims: Record<Projection, readonly [number, number]> = {
    q: [d.hidden, d.qWidth],
    k: [d.hidden, d.kvWidth],
    v: [d.hidden, d.kvWidth],
    o: [d.qWidth, d.hidden],
    gate: [d.hidden, d.intermediate],
    up: [d.hidden, d.intermediate],
    down: [d.intermediate, d.hidden],
    lmHead: [d.hidden, d.vocab],
  };
  return dims[projection];
}

function selected(part: Part, parts: LoweringParts): boolean {
  const among = (list: 'all' | readonly number[], value: number) => list === 'all' || list.includes(value);
  if (part.kind === 'input') return true;
  if (part.kind === 'head') return parts.head;
  if (part.kind === 'tokenwise') return among(parts.tokenwise, part.layer);
  return among(parts.attention, part.sequence) && (parts.attentionLayers === undefined || parts.attentionLayers.includes(part.layer));
}

/** Inputs of kept layers that only left-out layers produce, with the producing layer's type. */
function producedOutside(all: ReadonlyArray<{ layer: Layer; part: Part; tag: LayerTag }>, keep: (part: Part) => boolean): Map<string, LayerType> {
  const keptOutputs = new Set<string>();
  const outsideProducer = new Map<string, LayerType>();
  for (const { layer, part } of all) {
    for (const tensor of layer.output) (keep(part) ? keptOutputs : undefined)?.add(tensor.name);
    if (!keep(part)) for (const tensor of layer.output) outsideProducer.set(tensor.name, layer.type);
  }
  const outside = new Map<string, LayerType>();
  for (const { layer, part } of all) {
    if (!keep(part)) continue;
    for (const tensor of layer.input) {
      const producer = outsideProducer.get(tensor.name);
      if (producer !== undefined && !keptOutputs.has(tensor.name)) outside.set(tensor.name, producer);
    }
  }
  return outside;
}
