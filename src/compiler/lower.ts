import type { CompileTarget } from '../backends/index.js';
import type { Dtype, Layer, Param, Tensor } from '../ir/index.js';
import { modelDims, type Model, type ModelDims, type Precision, type Projection } from '../model/index.js';
import { AddressPlanner, bytesOf, dtypeBits, type MemoryPlan, type Placement } from './memory.js';

/*
 * Lowering a model to FlightLLM's IR for one stage: a prefill over `tokens`
 * prompt tokens, or one decode step at a context of `tokens` tokens. Layer,
 * tensor and parameter names follow FlightLLM's generator exactly (including
 * its round numbering: round 0 is the prefill, round 1 a decode step), so
 * that its IR files and ours compare layer for layer.
 */

export type Stage = 'prefill' | 'decode';

export interface LoweringInput {
  readonly model: Model;
  readonly target: CompileTarget;
  readonly stage: Stage;
  /** Prompt length (prefill) or context length including the new token (decode). */
  readonly tokens: number;
  /** Longest sequence the KV cache is sized for. */
  readonly maxTokens: number;
}

export interface Lowered {
  readonly layers: Layer[];
  readonly memory: MemoryPlan;
}

type Shape = readonly number[];

export function lower(input: LoweringInput): Lowered {
  const lowering = new Lowering(input);
  lowering.inputLayer();
  for (let layer = 0; layer < lowering.dims.layers; layer++) lowering.block(layer);
  lowering.head();
  return { layers: lowering.layers, memory: lowering.assignAddresses() };
}

class Lowering {
  readonly layers: Layer[] = [];
  readonly dims: ModelDims;
  private readonly planner = new AddressPlanner();
  private readonly round: string;
  /** Rows of every activation: the prompt (prefill) or the one new token (decode). */
  private readonly rows: number;
  private readonly precision: Precision;

  constructor(private readonly input: LoweringInput) {
    this.dims = modelDims(input.model);
    this.round = input.stage === 'prefill' ? 'round_0' : 'round_1';
    this.rows = input.stage === 'prefill' ? input.tokens : 1;
    this.precision = input.model.mapping.precision;
  }

  private get prefill(): boolean {
    return this.input.stage === 'prefill';
  }

  /** `round_<r>_<name>`, FlightLLM's activation naming. */
  private r(name: string): string {
    return `${this.round}_${name}`;
  }

  inputLayer(): void {
    const { hidden } = this.dims;
    const shape = [1, this.rows, hidden];
    this.push({
      name: this.r('input_layer'),
      type: 'input',
      input: [],
      output: [this.act(this.r('hidden_states_0'), shape), this.act(this.r('RoPE_sin_cache'), shape), this.act(this.r('RoPE_cos_cache'), shape)],
      structure: {},
    });
  }

  block(l: number): void {
    const d = this.dims;
    const m = this.rows;
    const states = this.r(`hidden_states_${l}`);
    this.norm(`input_layer_norm_layer_${l}`, states, this.r(`hidden_states_in_${l}`));
    const normed = this.r(`hidden_states_in_${l}`);
    this.linear({ layer: `q_proj_layer_${l}`, projection: 'q', input: [normed, d.hidden], output: this.r(`q_proj_out_before_RoPE_${l}`), width: d.qWidth });
    this.rope('q', l, d.heads, this.r(`q_proj_out_t_${l}`));
    this.linear({ layer: `k_proj_layer_${l}`, projection: 'k', input: [normed, d.hidden], output: this.r(`k_proj_out_before_RoPE_${l}`), width: d.kvWidth });
    this.rope('k', l, d.kvHeads, this.prefill ? `round_0_key_t_${l}` : this.r(`k_proj_out_t_${l}`));
    this.linear({ layer: `v_proj_layer_${l}`, projection: 'v', input: [normed, d.hidden], output: this.prefill ? `round_1_past_values_${l}` : this.r(`v_proj_out_t_${l}`), width: d.kvWidth });
    if (!this.prefill) this.appendToCache(l);
    this.attention(l);
    this.linear({ layer: `out_proj_layer_${l}`, projection: 'o', input: [this.r(`qktv_t_${l}`), d.qWidth], output: this.r(`attn_output_${l}`), width: d.hidden });
    this.eltwise(this.r(`hidden_sum_layer_${l}`), 'eltwise_add', [states, this.r(`attn_output_${l}`)], this.r(`hidden_sum_${l}`), [1, m, d.hidden]);
    this.norm(`final_layer_norm_layer_${l}`, this.r(`hidden_sum_${l}`), this.r(`hidden_layernorm_${l}`));
    this.feedForward(l);
  }

  /** SwiGLU: down(silu(gate(x)) × up(x)), then the residual add. */
  private feedForward(l: number): void {
    const d = this.dims;
    const m = this.rows;
    const normed = this.r(`hidden_layernorm_${l}`);
    this.linear({ layer: `gate_layer_${l}`, projection: 'gate', input: [normed, d.hidden], output: this.r(`hidden_gate_${l}`), width: d.intermediate });
    this.push({
      name: this.r(`activation_fn_layer_${l}`),
      type: 'silu',
      input: [this.act(this.r(`hidden_gate_${l}`), [1, m, d.intermediate])],
      output: [this.act(this.r(`hidden_silu_${l}`), [1, m, d.intermediate])],
      structure: {},
    });
    this.linear({ layer: `up_layer_${l}`, projection: 'up', input: [normed, d.hidden], output: this.r(`hidden_up_${l}`), width: d.intermediate });
    this.eltwise(this.r(`hidden_mul_layer_${l}`), 'eltwise_mul', [this.r(`hidden_up_${l}`), this.r(`hidden_silu_${l}`)], this.r(`hidden_mul_${l}`), [1, m, d.intermediate]);
    this.linear({ layer: `down_layer_${l}`, projection: 'down', input: [this.r(`hidden_mul_${l}`), d.intermediate], output: this.r(`hidden_down_${l}`), width: d.hidden });
    const last = l === d.layers - 1;
    const next = last ? this.r(`hidden_add_${l}`) : this.r(`hidden_states_${l + 1}`);
    this.eltwise(this.r(`hidden_add_layer_${l}`), 'eltwise_add', [this.r(`hidden_sum_${l}`), this.r(`hidden_down_${l}`)], next, [1, m, d.hidden]);
  }

  /** The final norm, the LM head over every row (as FlightLLM's IR has it), the output marker. */
  head(): void {
    const d = this.dims;
    this.norm('final_layer_norm_layer_in_decoder', this.r(`hidden_add_${d.layers - 1}`), this.r('final_hidden_states'));
    this.linear({ layer: 'lm_head_layer', projection: 'lmHead', input: [this.r('final_hidden_states'), d.hidden], output: this.r('logits'), width: d.vocab });
    this.push({ name: this.r('output_layer'), type: 'output', input: [this.act(this.r('logits'), [1, this.rows, d.vocab])], output: [], structure: {} });
  }

  /** Decode: append the new key and value to the cache of every earlier token. */
  private appendToCache(l: number): void {
    const { kvHeads, headDim } = this.dims;
    const context = this.input.tokens;
    const past = [kvHeads, context - 1, headDim];
    const fresh = [kvHeads, 1, headDim];
    const full = [kvHeads, context, headDim];
    this.push({
      name: this.r(`concat_past_keys_${l}`),
      type: 'concat',
      input: [this.kv(`round_0_key_t_${l}`, past, 'key', l), this.act(this.r(`k_proj_out_t_${l}`), fresh)],
      output: [this.kv(this.r(`key_t_${l}`), full, 'key', l)],
      structure: { dim: 1 },
    });
    this.push({
      name: this.r(`concat_past_values_${l}`),
      type: 'concat',
      input: [this.kv(`round_1_past_values_${l}`, past, 'value', l), this.act(this.r(`v_proj_out_t_${l}`), fresh)],
      output: [this.kv(`round_2_past_values_${l}`, full, 'value', l)],
      structure: { dim: 1 },
    });
  }

  /** QKᵀ, softmax, and the product with V. Query heads share key/value heads in groups. */
  private attention(l: number): void {
    const { heads, kvHeads, headDim } = this.dims;
    const m = this.rows;
    const n = this.input.tokens;
    const type = this.prefill ? 'attention_mm' : 'attention_mv';
    const structure = (mode: 'qkt' | 'qktv') => ({ bias_flag: false, mask_mode: this.prefill ? mode : ('none' as const), relu_flag: false });
    this.push({
      name: this.r(`attention_qkt_${l}`),
      type,
      input: [this.act(this.r(`q_proj_out_t_${l}`), [heads, m, headDim]), this.kv(this.r(`key_t_${l}`), [kvHeads, headDim, n], 'key', l)],
      output: [this.act(this.r(`qkt_mm_${l}`), [heads, m, n])],
      param: [this.maskParameter(l)],
      structure: structure('qkt'),
    });
    this.push({
      name: this.r(`softmax_${l}`),
      type: 'softmax',
      input: [this.act(this.r(`qkt_mm_${l}`), [heads, m, n])],
      output: [this.act(this.r(`qkt_softmax_${l}`), [heads, m, n])],
      structure: { dim: 2 },
    });
    const values = this.prefill ? `round_1_past_values_${l}` : `round_2_past_values_${l}`;
    this.push({
      name: this.r(`attention_qktv_${l}`),
      type,
      input: [this.act(this.r(`qkt_softmax_${l}`), [heads, m, n]), this.kv(values, [kvHeads, n, headDim], 'value', l)],
      output: [this.act(this.r(`qktv_t_${l}`), [heads, m, headDim])],
      param: [this.maskParameter(l)],
      structure: structure('qktv'),
    });
  }

  /** Rotary embedding as FlightLLM lowers it: x·sin and x·cos per head, then their sum. */
  private rope(which: 'q' | 'k', l: number, heads: number, output: string): void {
    const shape = [heads, this.rows, this.dims.headDim];
    const source = this.r(`${which}_proj_out_before_RoPE_${l}`);
    const product = (table: 'sin' | 'cos') => {
      this.eltwise(this.r(`${which}_RoPE_eltwise_mul_${table}_${l}`), 'eltwise_mul', [source, this.r(`RoPE_${table}_cache`)], this.r(`${which}_RoPE_mul_${table}_${l}`), shape);
    };
    product('sin');
    product('cos');
    this.eltwise(this.r(`${which}_RoPE_eltwise_add_${l}`), 'eltwise_add', [this.r(`${which}_RoPE_mul_sin_${l}`), this.r(`${which}_RoPE_mul_cos_${l}`)], output, shape);
  }

  private linear(spec: { layer: string; projection: Projection; input: readonly [string, number]; output: string; width: number }): void {
    const [inputName, k] = spec.input;
    const n = spec.width;
    const m = this.rows;
    const keep = this.dims.keep[spec.projection];
    const sparse = keep < 1;
    const streams = sparse && this.input.model.mapping.sparseStreams;
    const biased = this.dims.biased.has(spec.projection);
    const param: Param[] = [this.weight(`${spec.layer}.weight`, [1, k, n], keep)];
    if (biased) param.push(this.parameter(`${spec.layer}.bias`, [1, 1, n], this.precision.bias, bytesOf(n, dtypeBits(this.precision.bias))));
    if (streams) {
      const block = this.input.target.blockSize;
      const kept = Math.ceil(k * n * keep);
      // Metadata: a 4-bit position per kept weight. FSB: one byte per block.
      param.push(this.parameter(`${spec.layer}.meta`, [1, 1, Math.ceil(kept / 2)], 'int8', Math.ceil(kept / 2)));
      param.push(this.parameter(`${spec.layer}.fsb`, [1, Math.ceil(k / block), Math.ceil(n / block)], 'int8', Math.ceil(k / block) * Math.ceil(n / block)));
    }
    this.push({
      name: this.r(spec.layer),
      type: this.prefill ? 'linear_mm' : 'linear_mv',
      input: [this.act(inputName, [1, m, k])],
      output: [this.tensorFor(spec.output, [1, m, n])],
      param,
      structure: { bias_flag: biased, mask_mode: streams ? 'fsb' : 'none', relu_flag: false },
    });
  }

  private norm(layer: string, input: string, output: string): void {
    const { hidden } = this.dims;
    const shape = [1, this.rows, hidden];
    this.push({
      name: this.r(layer),
      type: 'layernorm',
      input: [this.act(input, shape)],
      output: [this.act(output, shape)],
      // Norm scales are kept at the activations' precision.
      param: [this.parameter(`${layer}.weight`, [1, 1, hidden], this.precision.activations, bytesOf(hidden, dtypeBits(this.precision.activations)), { sparse_flag: false, sparse_ratio: 1 })],
      structure: { bias_flag: false, RMS_flag: true },
    });
  }

  private eltwise(name: string, kind: 'eltwise_add' | 'eltwise_mul', inputs: readonly [string, string], output: string, shape: Shape): void {
    this.push({ name, type: 'eltwise', input: inputs.map((tensor) => this.tensorFor(tensor, shape)), output: [this.tensorFor(output, shape)], structure: { eltwise_type: kind } });
  }

  /** FlightLLM's mask parameter: compile-time only, so it has no address. */
  private maskParameter(l: number): Param {
    const { maxTokens } = this.input.target;
    const cells = maxTokens / this.input.model.mapping.maskParameterCellTokens;
    return { name: `attention_mask_${l}.mask`, shape: [this.dims.heads, cells, cells], dtype: 'bool', addr: 0 };
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
    const bytes = bytesOf(stored, bits);
    const param = this.parameter(name, shape, this.precision.weights, bytes, { sparse_flag: keep < 1, sparse_ratio: keep });
    if (bits !== convention) param.stream_bits = bits;
    return param;
  }

  private parameter(name: string, shape: Shape, dtype: Dtype, bytes: number, sparsity?: { sparse_flag: boolean; sparse_ratio: number }): Param {
    return this.placed({ name, shape: [...shape], dtype, addr: 0, ...sparsity }, { region: 'weight', bytes });
  }

  /** The KV-cache tensors of a layer, or an activation for every other name. */
  private tensorFor(name: string, shape: Shape): Tensor {
    const cache = /^round_\d+_(key_t|past_values)_(\d+)$/.exec(name);
    if (cache !== null) return this.kv(name, shape, cache[1] === 'key_t' ? 'key' : 'value', Number(cache[2]));
    return this.act(name, shape);
  }

  private kv(name: string, shape: Shape, kind: 'key' | 'value', layer: number): Tensor {
    return this.placed({ name, shape: [...shape], dtype: this.precision.kvCache, addr: 0 }, { region: 'kv', kind, layer });
  }

  private act(name: string, shape: Shape): Tensor {
    const role = name.replace(/^round_\d+_/, '').replace(/_\d+$/, '');
    const elements = shape.reduce((product, size) => product * size, 1);
    return this.placed({ name, shape: [...shape], dtype: this.precision.activations, addr: 0 }, { region: 'activation', role, bytes: bytesOf(elements, dtypeBits(this.precision.activations)) });
  }

  private placed<T extends Tensor>(tensor: T, placement: Placement): T {
    this.planner.place(tensor, placement);
    return tensor;
  }

  private push(layer: Layer): void {
    this.layers.push(layer);
  }

  assignAddresses(): MemoryPlan {
    const { kvHeads, headDim, layers } = this.dims;
    const maxTokens = this.input.maxTokens;
    return this.planner.assign({
      layers,
      kvRegionBytes: bytesOf(kvHeads * maxTokens * headDim, dtypeBits(this.precision.kvCache)),
    });
  }
}
