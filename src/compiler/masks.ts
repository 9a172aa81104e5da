import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { AttentionMask, MaskLookup } from '../ir/index.js';
import { modelDims, type AttentionMasks, type Model } from '../model/index.js';
import { layerOfMaskParameter } from './naming.js';
import type { CompileTarget, MaskGeometry } from './target.js';

/*
 * Block-sparse attention masks in FlightLLM's layout: per layer, a bool array
 * of heads × blocks × blocks, one cell per `maskBlockTokens` × `maskBlockTokens`
 * tile of the hardware's longest sequence. A cell on or below the diagonal
 * may be kept; cells above it never are (attention is causal).
 */

type CellRule = (row: number, column: number) => boolean;

/** How each pattern decides a head's cells. */
const PATTERNS: { [P in AttentionMasks['pattern']]: (spec: Extract<AttentionMasks, { pattern: P }>, cells: HeadCells) => void } = {
  dense: (_spec, cells) => cells.keepWhere(() => true),
  'local+sink': (spec, cells) => cells.keepWhere((row, column) => row - column < spec.windowBlocks || column < spec.sinkBlocks),
  density: (spec, cells) => keepDensity(spec, cells),
};

/** The causal cells of one head, and the operations patterns use on them. */
class HeadCells {
  readonly blocks: number;
  /** Seed of this head's random draws. */
  readonly seed: number;
  private readonly cells: Uint8Array;
  private readonly offset: number;

  constructor(at: { blocks: number; cells: Uint8Array; offset: number; seed: number }) {
    this.blocks = at.blocks;
    this.cells = at.cells;
    this.offset = at.offset;
    this.seed = at.seed;
  }

  keepWhere(rule: CellRule): void {
    for (let row = 0; row < this.blocks; row++) for (let column = 0; column <= row; column++) if (rule(row, column)) this.keep(row, column);
  }

  keep(row: number, column: number): void {
    this.cells[this.offset + row * this.blocks + column] = 1;
  }

  kept(row: number, column: number): boolean {
    return this.cells[this.offset + row * this.blocks + column] === 1;
  }
}

/**
 * Keeps `density` of the causal cells: the diagonal and the first column
 * (attention sinks) always, then cells drawn without replacement with weight
 * 1 / distance^locality from the diagonal, using exponential sort keys
 * (Efraimidis and Spirakis) from a seeded generator.
 */
function keepDensity(spec: Extract<AttentionMasks, { pattern: 'density' }>, cells: HeadCells): void {
  const { blocks } = cells;
  cells.keepWhere((row, column) => row === column || column === 0);
  const causal = (blocks * (blocks + 1)) / 2;
  const target = Math.round(spec.density * causal);
  const candidates: Array<{ row: number; column: number; key: number }> = [];
  const random = xoroshiro128plus(cells.seed);
  for (let row = 0; row < blocks; row++) {
    for (let column = 1; column < row; column++) {
      const u = uniformFloat64(random);
      const weight = 1 / (row - column) ** spec.locality;
      candidates.push({ row, column, key: -Math.log(1 - u) / weight });
    }
  }
  let kept = 0;
  for (let row = 0; row < blocks; row++) for (let column = 0; column <= row; column++) if (cells.kept(row, column)) kept++;
  candidates.sort((a, b) => a.key - b.key);
  for (const candidate of candidates.slice(0, Math.max(0, target - kept))) cells.keep(candidate.row, candidate.column);
}

/** The model's mask for one layer on the board, every head. */
export function generateMask(model: Model, target: CompileTarget, layer: number): AttentionMask {
  return maskOf(model, maskGeometryOf(target), layer);
}

function maskOf(model: Model, geometry: MaskGeometry, layer: number): AttentionMask {
  const heads = modelDims(model).heads;
  const blocks = geometry.maxTokens / geometry.maskBlockTokens;
  const cells = new Uint8Array(heads * blocks * blocks);
  const spec = model.mapping.attentionMasks;
  for (let head = 0; head < heads; head++) {
    const view = new HeadCells({ blocks, cells, offset: head * blocks * blocks, seed: mixSeed(spec.pattern === 'density' ? spec.seed : 0, layer, head) });
    (PATTERNS[spec.pattern] as (spec: AttentionMasks, cells: HeadCells) => void)(spec, view);
  }
  return { heads, rows: blocks, cols: blocks, cells };
}


/** The board's mask layout; an internal error where the board runs attention densely. */
export function maskGeometryOf(target: CompileTarget): MaskGeometry {
  const geometry = target.maskGeometry;
  if (geometry === undefined) throw new Error(`internal: ${target.boardName} runs attention densely and needs no masks`);
  return geometry;
}

/** Generated masks for the model on the board, or undefined where the board runs attention densely. */
export function masksFor(model: Model, target: CompileTarget): MaskLookup | undefined {
  return target.maskGeometry === undefined ? undefined : generatedMasks(model, target);
}

/** A mask lookup that generates each layer's mask on first use. */
export function generatedMasks(model: Model, target: CompileTarget): MaskLookup {
  const geometry = maskGeometryOf(target);
  const made = new Map<number, AttentionMask>();
  return (parameterName) => {
    const layer = layerOfMaskParameter(parameterName);
    if (layer === undefined) throw new Error(`internal: no generated mask is named ${parameterName}`);
    let mask = made.get(layer);
    if (mask === undefined) {
      mask = maskOf(model, geometry, layer);
      made.set(layer, mask);
    }
    return mask;
  };
}

/** Fraction of causal cells a mask keeps, over all heads. */
export function causalDensity(mask: AttentionMask): number {
  let kept = 0;
  for (let head = 0; head < mask.heads; head++) {
    for (let row = 0; row < mask.rows; row++) for (let column = 0; column <= row && column < mask.cols; column++) kept += mask.cells[(head * mask.rows + row) * mask.cols + column]!;
  }
  return kept / (mask.heads * ((mask.rows * (mask.rows + 1)) / 2));
}

/** A distinct, reproducible seed per layer and head (the golden-ratio mix of splitmix64, in 32 bits). */
function mixSeed(seed: number, layer: number, head: number): number {
  let x = (seed ^ Math.imul(layer + 1, 0x9e3779b9) ^ Math.imul(head + 1, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
