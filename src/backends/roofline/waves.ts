import type { RooflineHardware } from './schema.js';

/*
 * Wave quantisation: a GEMM kernel deals its output tiles out to the
 * chip's multiprocessors, one tile to each at a time, in waves; a wave
 * lasts as long as one tile takes. A kernel whose tiles are fewer than the
 * multiprocessors, or one more than a whole number of waves, leaves some
 * of them idle while the rest finish, and a partial tile takes as long as
 * a full one. A GEMM smaller than one tile takes a tile its own size (the
 * libraries' kernels for few rows). The efficiency a board states is that
 * of a busy multiprocessor; the utilisation below is the share of the
 * multiprocessors' time that useful work fills, so that the compute time,
 * operations over (peak × efficiency × utilisation), is the waves' time.
 */

/** A GEMM's output as tiles see it: matrices (a batched GEMM's groups), rows (tokens) and output columns (features). */
export interface GemmShape {
  readonly groups: number;
  readonly tokens: number;
  readonly features: number;
}

/** Tile extents, rows of tokens by columns of output features (a board's `gemmTile`). */
export interface GemmTile {
  readonly tokens: number;
  readonly features: number;
}

/** Output tiles of a GEMM: every matrix's rows and columns cut into tiles, a partial tile counting whole. */
export function gemmTiles(shape: GemmShape, tile: GemmTile): number {
  return shape.groups * Math.ceil(shape.tokens / tile.tokens) * Math.ceil(shape.features / tile.features);
}

/** Waves a kernel of `tiles` tiles takes on `multiprocessors` (at least one). */
export function waves(tiles: number, multiprocessors: number): number {
  return Math.max(1, Math.ceil(tiles / multiprocessors));
}

/** The tile one multiprocessor computes: the board's, or the GEMM's own extent where it is smaller; the largest of a fused kernel's parts. */
export function tileExtent(parts: readonly GemmShape[], tile: GemmTile): GemmTile {
  return {
    tokens: Math.max(...parts.map((part) => Math.min(part.tokens, tile.tokens))),
    features: Math.max(...parts.map((part) => Math.min(part.features, tile.features))),
  };
}

/**
 * Share of the multiprocessors' time a GEMM's useful work fills: its
 * outputs over the outputs its waves could compute. Its parts are the
 * GEMMs one kernel runs (projections fused into it), their tiles dealt out
 * together. In (0, 1]; 1 for a GEMM of whole tiles in whole waves.
 */
export function waveUtilisation(parts: readonly GemmShape[], tile: GemmTile, multiprocessors: number): number {
  const outputs = parts.reduce((sum, part) => sum + part.groups * part.tokens * part.features, 0);
  if (outputs === 0) return 1;
  const extent = tileExtent(parts, tile);
  const tiles = parts.reduce((sum, part) => sum + gemmTiles(part, tile), 0);
  return outputs / (waves(tiles, multiprocessors) * multiprocessors * extent.tokens * extent.features);
}

/**
 * The utilisation a GEMM reaches on the board (`waveUtilisation`); 1 where
 * the board names no multiprocessors or no tile (the model without waves),
 * and for kernels that are not plain GEMMs (parts undefined).
 */
export function gemmUtilisation(parts: readonly GemmShape[] | undefined, hw: Pick<RooflineHardware, 'compute' | 'gemmTile'>): number {
  const multiprocessors = hw.compute.multiprocessors;
  if (parts === undefined || parts.length === 0 || multiprocessors === undefined || hw.gemmTile === undefined) return 1;
  return waveUtilisation(parts, hw.gemmTile, multiprocessors);
}
