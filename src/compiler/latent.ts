import type { LayerEmitter, Part, Ref } from './emitter.js';

/*
 * Multi-head latent attention (DeepSeek-V2/V3), lowered with the key and
 * value up-projections absorbed, as MLA inference kernels run it:
 * - the query: compressed (q_a, its norm, q_b) or projected directly, its
 *   rotary part rotated, its other part taken into the latent space by each
 *   head's key up-projection (absorbK, one kv_lora_rank × nope matrix per
 *   head): [heads, rows, kv_lora_rank + rope];
 * - the key/value: kv_a compresses each token to kv_lora_rank plus a rotary
 *   key shared by all heads, normed and rotated: the vector the KV cache
 *   keeps ([1, rows, kv_lora_rank + rope]);
 * - attention: every head against the cached vectors (one shared head),
 *   the values being their first kv_lora_rank columns;
 * - the output: each head's value up-projection (absorbV) from the latent
 *   space to v_head_dim, then the output projection.
 * Absorbing is what decode steps do; a prompt could expand the keys and
 * values instead (fewer operations for long prompts), which is not modelled.
 */

/** The query in the latent space and the step's new compressed key/value rows. */
export function latentProjections(e: LayerEmitter, l: number, a: { input: Ref; part: Part }): { q: Ref; latent: Ref } {
  const { heads, hidden } = e.dims;
  const m = e.dims.latent!;
  const rows = e.rows;
  const qkWidth = m.qkNopeHeadDim + m.qkRopeHeadDim;
  const query = e.act('q_proj_out', l, [1, rows, heads * qkWidth]);
  if (m.qLoraRank === undefined) e.linear({ base: `q_proj_layer_${l}`, role: 'q', input: a.input, output: query, part: a.part, k: hidden, n: heads * qkWidth });
  else {
    const compressed = e.act('q_a_out', l, [1, rows, m.qLoraRank]);
    e.linear({ base: `q_a_proj_layer_${l}`, role: 'qA', input: a.input, output: compressed, part: a.part, k: hidden, n: m.qLoraRank });
    const normed = e.norm({ base: `q_a_layernorm_layer_${l}`, input: compressed, output: e.act('q_a_normed', l, [1, rows, m.qLoraRank]), part: a.part, tag: 'latent_norm', width: m.qLoraRank });
    e.linear({ base: `q_b_proj_layer_${l}`, role: 'qB', input: normed, output: query, part: a.part, k: m.qLoraRank, n: heads * qkWidth });
  }
  const q = e.act('q_latent', l, [heads, rows, m.kvLoraRank + m.qkRopeHeadDim]);
  // Rotated right after the projection that makes it, so the rotation fuses into it.
  e.rope({ base: 'q', l, input: query, output: q, shape: [heads, rows, m.qkRopeHeadDim], part: a.part, which: 'q' });
  e.linear({ base: `q_absorb_layer_${l}`, role: 'absorbK', input: query, output: q, part: a.part, groups: heads, k: m.qkNopeHeadDim, n: m.kvLoraRank });
  const raw = e.act('kv_a_out', l, [1, rows, m.kvLoraRank + m.qkRopeHeadDim]);
  e.linear({ base: `kv_a_proj_with_mqa_layer_${l}`, role: 'kvA', input: a.input, output: raw, part: a.part, k: hidden, n: m.kvLoraRank + m.qkRopeHeadDim });
  const latent = e.act('kv_latent', l, [1, rows, m.kvLoraRank + m.qkRopeHeadDim]);
  e.rope({ base: 'k', l, input: raw, output: latent, shape: [1, rows, m.qkRopeHeadDim], part: a.part, which: 'k' });
  e.norm({ base: `kv_a_layernorm_layer_${l}`, input: raw, output: latent, part: a.part, tag: 'latent_norm', width: m.kvLoraRank });
  return { q, latent };
}

/** Each head's attention output, from the latent space to its values (absorbV). */
export function latentValues(e: LayerEmitter, l: number, a: { input: Ref; output: Ref; part: Part }): void {
  const m = e.dims.latent!;
  e.linear({ base: `v_absorb_layer_${l}`, role: 'absorbV', input: a.input, output: a.output, part: a.part, groups: e.dims.heads, k: m.kvLoraRank, n: m.vHeadDim });
}
