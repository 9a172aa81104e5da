import type { LayerOf } from './schema.js';

/* Geometry of an attention product in the IR, for whoever costs it. */

/** Causal attention: query row i of M attends the `offset` context tokens and the first i + 1 of its own. */
export function causalAttentionMacs(layer: LayerOf<'attention_mm'>): number {
  const [heads, m, k] = layer.input[0]!.shape as [number, number, number];
  const n = layer.input[1]!.shape[2]!;
  const { offset } = chunkExtent(layer);
  const inner = layer.structure.mask_mode === 'qkt' ? k : n;
  return heads * inner * (m * offset + (m * (m + 1)) / 2);
}

/**
 * Tokens a matrix-matrix attention product attends over (N for QKᵀ, K for
 * S·V) and how many of them precede its M query rows (a chunk's context).
 */
export function chunkExtent(layer: LayerOf<'attention_mm'>): { tokens: number; offset: number } {
  const [, m, k] = layer.input[0]!.shape as [number, number, number];
  const tokens = layer.structure.mask_mode === 'qkt' ? layer.input[1]!.shape[2]! : k;
  return { tokens, offset: tokens - m };
}
