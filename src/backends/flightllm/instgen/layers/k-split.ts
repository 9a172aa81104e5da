import type { FlightLlmHardware } from '../../schema.js';
import { ceilDiv, tiles } from './common.js';

/*
 * Splitting K so that weights stream through their buffer with double
 * buffering: every K split of a block column must fit in at most half of the
 * weight buffer and of the metadata buffer, so the next split can load while
 * the engine works on the current one. The number of splits starts from a
 * size estimate and grows until both buffers hold two splits.
 *
 * Weights are taken to be dense blocks (16 of 16 values kept): FlightLLM's
 * generator lays out weight and metadata streams that way and models sparsity
 * through the bandwidth and compute ratios instead.
 */

export interface KSplit {
  /** [first, end) K-block ranges; the last may be shorter than the others. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  /** Weight-stream groups that fit in the buffers at once: a load waits for the engine beyond this. */
  readonly depth: number;
}

/** Values kept per block of sparsity.blockSize in a dense weight. */
const denseKept = (hw: FlightLlmHardware) => hw.sparsity.blockSize;

/**
 * Buffer words a column of `kBlocks` blocks occupies, counted in units of the
 * sparsest pattern (2 values kept per block) as FlightLLM's generator does.
 */
function columnWords(hw: FlightLlmHardware, kBlocks: number, wordsPerSparsestBlock: number): number {
  return Math.floor((kBlocks * denseKept(hw)) / 2) * wordsPerSparsestBlock;
}

/** Words of a buffer `widthBytes` wide that `bytes` fill; undefined when not a whole number. */
function wholeWords(bytes: number, widthBytes: number): number | undefined {
  return bytes % widthBytes === 0 ? bytes / widthBytes : undefined;
}

interface SplitSearch {
  readonly kBlocks: number;
  /** Words per sparsest block in the weight buffer, and that buffer's depth. */
  readonly weightWords: number;
  readonly weightDepth: number;
  readonly metaWords: number;
  readonly metaDepth: number;
  /** Divides a split's footprint (matrix-vector weights spread over channel loops). */
  readonly footprintDivisor: number;
  /** The first split count tried. */
  readonly initialSplits: number;
}

/** Grows the split count until weight and metadata buffers each hold two splits. */
function searchSplits(search: SplitSearch): { ranges: Array<readonly [number, number]>; weightDepth: number; metaDepth: number } | string {
  for (let splits = Math.max(1, search.initialSplits); splits <= search.kBlocks; splits++) {
    const unit = Math.floor(search.kBlocks / splits);
    const ranges = tiles(0, search.kBlocks, unit);
    const weightWords = Math.floor(search.weightWords * unit / search.footprintDivisor);
    const metaWords = Math.floor(search.metaWords * unit / search.footprintDivisor);
    const weightDepth = weightWords === 0 ? Infinity : Math.floor(search.weightDepth / weightWords);
    const metaDepth = metaWords === 0 ? Infinity : Math.floor(search.metaDepth / metaWords);
    if (weightDepth >= 2 && metaDepth >= 2) return { ranges, weightDepth, metaDepth };
  }
  return `even one K block per split does not leave room for double buffering (weight buffer ${search.weightDepth} words, metadata buffer ${search.metaDepth} words)`;
}

/**
 * Depth the FSB stream allows: how many splits' FSB bytes fit in the FSB
 * buffer. (FlightLLM divides by the metadata buffer's depth here; the two
 * depths are equal in every FlightLLM configuration, and we use the FSB
 * buffer's own.)
 */
function fsbDepth(hw: FlightLlmHardware, kBlocks: number, splits: number, bytesPerBlock: number): number | string {
  const words = wholeWords(ceilDiv(kBlocks, splits) * bytesPerBlock, hw.buffers.fsb.widthBytes);
  if (words === undefined) return `a split's FSB bytes do not fill whole words of the ${hw.buffers.fsb.widthBytes}-byte FSB buffer`;
  const depth = Math.floor(hw.buffers.fsb.depthWords / words);
  return depth >= 2 ? depth : `a split's ${words} FSB words do not fit twice in the FSB buffer (${hw.buffers.fsb.depthWords} words)`;
}

/** K split of a matrix-matrix linear layer: weights stream into the B buffer. */
export function splitKMatrixMatrix(hw: FlightLlmHardware, kBlocks: number): KSplit | string {
  const block = hw.sparsity.blockSize;
  const weightWords = wholeWords(block * 2, hw.buffers.b.widthBytes.matrixMatrix);
  const metaWords = wholeWords(block, hw.buffers.meta.widthBytes);
  if (weightWords === undefined || metaWords === undefined) return 'sparse blocks do not fill whole words of the B or metadata buffer';
  const perBlock = (words: number) => columnWords(hw, 1, words);
  const found = searchSplits({
    kBlocks,
    weightWords: perBlock(weightWords),
    weightDepth: hw.buffers.b.depthWords,
    metaWords: perBlock(metaWords),
    metaDepth: hw.buffers.meta.depthWords,
    footprintDivisor: 1,
    initialSplits: ceilDiv(columnWords(hw, kBlocks, weightWords), Math.floor(hw.buffers.b.depthWords / 2)),
  });
  if (typeof found === 'string') return found;
  const fsb = fsbDepth(hw, kBlocks, found.ranges.length, 1);
  if (typeof fsb === 'string') return fsb;
  const depth = Math.min(
    found.weightDepth * hw.buffers.b.hbmChannels.count,
    found.metaDepth * hw.buffers.meta.hbmChannels.count,
    fsb * hw.buffers.fsb.hbmChannels.count,
  );
  return { ranges: found.ranges, depth };
}

/**
 * K split of a matrix-vector linear layer: weights stream into the A buffer,
 * each instruction's tile spread over `channelLoops` passes of the A channels.
 */
export function splitKMatrixVector(hw: FlightLlmHardware, kBlocks: number, channelLoops: number): KSplit | string {
  const block = hw.sparsity.blockSize;
  const weightWords = wholeWords(block * 2 * channelLoops, hw.buffers.a.channelWidthBytes.matrixVector);
  const metaWords = wholeWords(block * channelLoops, hw.buffers.meta.widthBytes);
  if (weightWords === undefined || metaWords === undefined) return 'sparse blocks do not fill whole words of the A or metadata buffer';
  const perBlock = (words: number) => columnWords(hw, 1, words);
  const found = searchSplits({
    kBlocks,
    weightWords: perBlock(weightWords),
    weightDepth: hw.buffers.a.depthWords,
    metaWords: perBlock(metaWords),
    metaDepth: hw.buffers.meta.depthWords,
    footprintDivisor: channelLoops,
    // Quirk kept from FlightLLM: the first estimate ignores the channel loops,
    // so it can start with more splits than the buffers need (2 instead of 1
    // for K = 4096 on the VHK158). Instruction counts depend on it.
    initialSplits: ceilDiv(columnWords(hw, kBlocks, weightWords), Math.floor(hw.buffers.a.depthWords / 2)),
  });
  if (typeof found === 'string') return found;
  const fsb = fsbDepth(hw, kBlocks, found.ranges.length, 1);
  if (typeof fsb === 'string') return fsb;
  return { ranges: found.ranges, depth: Math.min(found.weightDepth, found.metaDepth, fsb) };
}
