import { routeTokens } from '../model/index.js';
import type { LayerEmitter, LinearRole, Part, Ref } from './emitter.js';

/*
 * A mixture of experts' feed-forward network, lowered for one step:
 * - the router, a linear layer from the hidden state to one score per
 *   routed expert (padded to whole tiles where the engine tiles), and the
 *   softmax that weighs each token's top-k;
 * - the shared experts, one SwiGLU network as wide as all of them, over
 *   every row;
 * - each routed expert the step's tokens touch, a SwiGLU network over the
 *   rows routed to it, its output added into the layer's (the combine);
 *   experts no token touches are not run, their weights not read (they are
 *   still placed, at the same addresses in every step);
 * - the residual add.
 * Which experts run, and over how many rows, follows the model's expert
 * load assumption (model/experts.ts).
 */

interface SwiGluRoles {
  readonly gate: LinearRole;
  readonly up: LinearRole;
  readonly down: LinearRole;
}

const SHARED: SwiGluRoles = { gate: 'sharedGate', up: 'sharedUp', down: 'sharedDown' };
const ROUTED: SwiGluRoles = { gate: 'expertGate', up: 'expertUp', down: 'expertDown' };

/** Lowers transformer layer `l`'s expert network. */
export function expertFeedForward(e: LayerEmitter, l: number, f: { input: Ref; residual: Ref; next: Ref; part: Part }): void {
  const d = e.dims;
  const x = d.experts!;
  const hidden = [1, e.rows, d.hidden];
  router(e, l, f);
  const out = e.act('moe_out', l, hidden);
  if (x.shared > 0) swiGlu(e, { name: 'shared_expert', l, rows: e.rows, width: x.shared * x.sharedIntermediate, roles: SHARED, input: f.input, output: out, combine: false, part: f.part });
  const rows = new Map(routeTokens(x, e.rows).rows.map((r) => [r.expert, r.rows]));
  let slot = 0;
  for (let expert = 0; expert < x.routed; expert++) {
    const name = `expert_${expert}`;
    const expertRows = rows.get(expert);
    if (expertRows === undefined) {
      e.reserveWeight(`${name}_gate_layer_${l}`, 'expertGate', d.hidden, x.intermediate);
      e.reserveWeight(`${name}_up_layer_${l}`, 'expertUp', d.hidden, x.intermediate);
      e.reserveWeight(`${name}_down_layer_${l}`, 'expertDown', x.intermediate, d.hidden);
      continue;
    }
    swiGlu(e, { name, l, rows: expertRows, width: x.intermediate, roles: ROUTED, input: f.input, output: out, combine: true, slot: slot++, part: f.part });
  }
  e.eltwise({ base: `hidden_add_layer_${l}`, kind: 'eltwise_add', inputs: [f.residual, out], output: f.next, shape: hidden, part: f.part, tag: 'residual' });
}

/** One score per routed expert for every row, and the softmax that weighs the chosen ones. */
function router(e: LayerEmitter, l: number, f: { input: Ref; part: Part }): void {
  const x = e.dims.experts!;
  // A tiling engine computes whole tiles (and a vector engine whole rows): the expert scores are padded to them.
  const width = Math.ceil(x.routed / e.widthUnit) * e.widthUnit;
  const logits = e.act('router_logits', l, [1, e.rows, width]);
  e.linear({ base: `router_layer_${l}`, role: 'router', input: f.input, output: logits, part: f.part, k: e.dims.hidden, n: width });
  const weights = e.act('router_weights', l, [1, e.rows, width]);
  e.push({ name: e.layerName(`router_softmax_${l}`), type: 'softmax', input: [logits()], output: [weights()], structure: { dim: 2 } }, f.part, 'router_softmax');
}

/**
 * down(silu(gate(x)) × up(x)) over `rows` rows: written to `output`, or
 * (a routed expert) added into it. Each expert's activations have slots of
 * their own, as a grouped kernel holds every routed row's intermediate.
 */
function swiGlu(e: LayerEmitter, s: { name: string; l: number; rows: number; width: number; roles: SwiGluRoles; input: Ref; output: Ref; combine: boolean; slot?: number; part: Part }): void {
  const { hidden } = e.dims;
  const wide = [1, s.rows, s.width];
  const linear = { rows: s.rows, slot: s.slot, part: s.part };
  const gate = e.act(`${s.name}_gate`, s.l, wide);
  e.linear({ ...linear, base: `${s.name}_gate_layer_${s.l}`, role: s.roles.gate, input: s.input, output: gate, k: hidden, n: s.width });
  const silu = e.act(`${s.name}_silu`, s.l, wide);
  e.push({ name: e.layerName(`${s.name}_activation_fn_layer_${s.l}`), type: 'silu', input: [gate()], output: [silu()], structure: {} }, s.part, 'silu');
  const up = e.act(`${s.name}_up`, s.l, wide);
  e.linear({ ...linear, base: `${s.name}_up_layer_${s.l}`, role: s.roles.up, input: s.input, output: up, k: hidden, n: s.width });
  const product = e.act(`${s.name}_mul`, s.l, wide);
  e.eltwise({ base: `${s.name}_mul_layer_${s.l}`, kind: 'eltwise_mul', inputs: [up, silu], output: product, shape: wide, part: s.part, tag: 'gate_mul' });
  if (!s.combine) {
    e.linear({ ...linear, base: `${s.name}_down_layer_${s.l}`, role: s.roles.down, input: product, output: s.output, k: s.width, n: hidden });
    return;
  }
  const down = e.act(`${s.name}_down`, s.l, [1, s.rows, hidden]);
  e.linear({ ...linear, base: `${s.name}_down_layer_${s.l}`, role: s.roles.down, input: product, output: down, k: s.width, n: hidden });
  // The routed rows' outputs, weighted by the router, are added into the layer's output rows (a scatter-add).
  e.eltwise({ base: `${s.name}_combine_layer_${s.l}`, kind: 'eltwise_add', inputs: [s.output, down], output: s.output, shape: [1, s.rows, hidden], part: s.part, tag: 'expert_combine' });
}
