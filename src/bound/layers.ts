import { dtypeBits } from '../dtype.js';
import type { BoundProduct } from '../backends/index.js';
import { weightBitsPerElement, type LoweringTarget } from '../compiler/index.js';
import { causalAttentionMacs, chunkExtent, type Ir, type LayerOf, type MaskLookup, type Tensor } from '../ir/index.js';

/*
 * The work an IR asks for, independent of how any accelerator schedules it:
 * the multiply-accumulates of every matrix product, and the bytes that must
 * at least cross device memory once (weights, and the KV cache a decode step
 * reads).
 */

/** A matrix product: `macs` multiply-accumulates of `a` × `b` operands. */
export type Product = BoundProduct;

export interface IrWork {
  readonly products: readonly Product[];
  /** Weight bytes as stored (kept values only, at their streamed width). */
  readonly weightBytes: number;
  /** KV-cache bytes a decode step reads. */
  readonly kvReadBytes: number;
}

const elementsOf = (tensor: Tensor) => tensor.shape.reduce((product, size) => product * size, 1);
const bytesOf = (tensor: Tensor) => (elementsOf(tensor) * dtypeBits(tensor.dtype)) / 8;

/**
 * Work of every linear and attention layer. Pruned weights count only their
 * kept fraction where the hardware can skip the rest; prefill attention counts the cells its masks keep (none when
 * no masks are given, which keeps the figure a lower bound).
 */
export function irWork(ir: Ir, options: { target: LoweringTarget; masks?: MaskLookup | undefined; maskBlockTokens?: number | undefined }): IrWork {
  const products: Product[] = [];
  let weightBytes = 0;
  let kvReadBytes = 0;
  // Latent attention reads one cached tensor for both products: it crosses memory once.
  const cacheRead = new Set<string>();
  for (const layer of ir) {
    if (layer.type === 'linear_mm' || layer.type === 'linear_mv') {
      const weight = layer.param[0]!;
      // One matrix per group where the weight holds several (latent attention's per-head products).
      const [groups, k, n] = weight.shape as [number, number, number];
      const keep = options.target.storesPrunedWeights ? (weight.sparse_ratio ?? 1) : 1;
      const m = layer.input[0]!.shape[1]!;
      products.push({ kind: 'linear', macs: groups * m * k * n * keep, a: layer.input[0]!.dtype, b: weight.dtype });
      weightBytes += (groups * k * n * keep * weightBitsPerElement(weight, options.target)) / 8;
    } else if (layer.type === 'attention_mv') {
      products.push({ kind: 'attention', macs: attentionMacs(layer), a: layer.input[0]!.dtype, b: layer.input[1]!.dtype });
      if (!cacheRead.has(layer.input[1]!.name)) kvReadBytes += bytesOf(layer.input[1]!);
      cacheRead.add(layer.input[1]!.name);
    } else if (layer.type === 'attention_mm') {
      // Dense hardware (no mask cells) computes the causal triangle; block-sparse hardware the cells its masks keep, none without masks.
      const macs = options.maskBlockTokens === undefined ? causalAttentionMacs(layer) : options.masks === undefined ? 0 : maskedAttentionMacs(layer, options.masks, options.maskBlockTokens);
      products.push({ kind: 'attention', macs, a: layer.input[0]!.dtype, b: layer.input[1]!.dtype });
      // A prompt chunk reads its context's keys and values from the cache; its own are fresh.
      const { tokens, offset } = chunkExtent(layer);
      if (!cacheRead.has(layer.input[1]!.name)) kvReadBytes += (bytesOf(layer.input[1]!) * offset) / tokens;
      cacheRead.add(layer.input[1]!.name);
    }
  }
  return { products, weightBytes, kvReadBytes };
}

/** Dense: heads × M × K × N. */
function attentionMacs(layer: LayerOf<'attention_mv'> | LayerOf<'attention_mm'>): number {
  const [heads, m, k] = layer.input[0]!.shape as [number, number, number];
  return heads * m * k * layer.input[1]!.shape[2]!;
}


/** Multiply-accumulates in the mask cells a prefill product keeps, within its M × (N or K) token extent. */
function maskedAttentionMacs(layer: LayerOf<'attention_mm'>, masks: MaskLookup, cellTokens: number): number {
  const [heads, m, k] = layer.input[0]!.shape as [number, number, number];
  const n = layer.input[1]!.shape[2]!;
  const qkt = layer.structure.mask_mode === 'qkt';
  // QKᵀ keeps cells of the M × N score matrix (inner dimension K); S·V of the M × K one (inner N).
  const [columns, inner] = qkt ? [n, k] : [k, n];
  // The query rows are the last M tokens: rows offset … offset + M − 1 of the mask.
  const { offset } = chunkExtent(layer);
  const mask = masks(layer.param[0]!.name, layer.name);
  let cellMacs = 0;
  for (let head = 0; head < heads; head++) {
    for (let row = Math.floor(offset / cellTokens); row * cellTokens < offset + m && row < mask.rows; row++) {
      const rowTokens = Math.min((row + 1) * cellTokens, offset + m) - Math.max(row * cellTokens, offset);
      for (let col = 0; col * cellTokens < columns && col < mask.cols; col++) {
        if (mask.cells[(head * mask.rows + row) * mask.cols + col] === 1) cellMacs += rowTokens * Math.min(cellTokens, columns - col * cellTokens);
      }
    }
  }
  return cellMacs * inner;
}
