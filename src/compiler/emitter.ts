import type { Layer, Tensor } from '../ir/index.js';
import type { MatrixRole, ModelDims, Projection } from '../model/index.js';

/*
 * What the parts of a transformer layer that not every model has (a
 * mixture of experts' feed-forward network, latent attention) need of the
 * lowering: the step's rows, placed tensors and the layer builders. The
 * lowering (lower.ts) implements it; experts.ts and latent.ts use it.
 */

export type Shape = readonly number[];

/**
 * Makes a placed tensor of a role, in the shape a layer reads or writes it
 * (default: its own), from token row `firstRow` on (default: the first).
 */
export type Ref = (shape?: Shape, firstRow?: number) => Tensor;

/** Which part of the step a layer belongs to. */
export type Part = { readonly kind: 'input' } | { readonly kind: 'head' } | { readonly kind: 'tokenwise'; readonly layer: number } | { readonly kind: 'attention'; readonly sequence: number; readonly layer: number };

/** What a linear layer computes: one of the eight projections, or a weight matrix of experts or latent attention. */
export type LinearRole = Projection | MatrixRole;

/** `mm`: the matrix-matrix engine, all rows at once; `mv`: the matrix-vector engine, row by row. */
export type LinearEngine = 'mm' | 'mv';
export type LinearEngines = Readonly<Partial<Record<LinearRole, LinearEngine>>>;

/**
 * What a layer does in the step, for costing parts apart: a linear role's
 * name for its linear layer, otherwise the layer's role.
 */
export type LayerTag = LinearRole | 'input' | 'attn_norm' | 'mlp_norm' | 'final_norm' | 'rope' | 'residual' | 'silu' | 'gate_mul' | 'concat' | 'qkt' | 'softmax' | 'qktv' | 'output' | 'router_softmax' | 'latent_norm' | 'expert_combine';

/** A linear layer [groups, M, K] × [groups, K, N]; K and N default to the projection's, M to the step's rows, groups to 1. */
export interface LinearSpec {
  readonly base: string;
  readonly role: LinearRole;
  readonly input: Ref;
  readonly output: Ref;
  readonly part: Part;
  readonly k?: number | undefined;
  readonly n?: number | undefined;
  readonly rows?: number | undefined;
  /** One weight matrix per group (latent attention's per-head products). */
  readonly groups?: number | undefined;
  /** A routed expert's position among those its layer runs. */
  readonly slot?: number | undefined;
}

export interface LayerEmitter {
  readonly dims: ModelDims;
  /** Rows of every token-wise activation: the step's new tokens. */
  readonly rows: number;
  /** Widths the model does not fix (a router's expert scores) are padded to a multiple of this: whole tiles and whole vector rows. */
  readonly widthUnit: number;
  /** An activation: one slot per role, shared by every transformer layer (and sequence). */
  act(role: string, layer?: number, natural?: Shape, sequence?: number): Ref;
  linear(spec: LinearSpec): void;
  /** An RMS norm over `width` (default the hidden size); returns its output. */
  norm(spec: { base: string; input: Ref; output: Ref; part: Part; tag: LayerTag; width?: number }): Ref;
  eltwise(spec: { base: string; kind: 'eltwise_add' | 'eltwise_mul'; inputs: readonly [Ref, Ref]; output: Ref; shape: Shape; part: Part; tag: LayerTag }): void;
  /** Rotary embedding of `input` into `output`, both of `shape`: x·sin and x·cos, then their sum. */
  rope(spec: { base: string; l: number; input: Ref; output: Ref; shape: Shape; part: Part; which: string }): void;
  /** Adds a layer the builders do not make (a silu, a softmax). */
  push(layer: Layer, part: Part, tag: LayerTag): void;
  /** A layer's name in the step's naming scheme. */
  layerName(base: string): string;
  /** Places a weight no layer of this step reads (an expert it does not run): weights sit at the same addresses in every step. */
  reserveWeight(base: string, role: LinearRole, k: number, n: number): void;
}
