import type { FlightLlmHardware } from '../../schema.js';
import { Module } from '../../isa/index.js';
import type { InstructionSink } from '../instructions.js';
import { load, matrix, misc, store } from './builders.js';
import { ceilDiv, LayerIssues, planSignature, rowGroups, type RowGroup, type StepPlanner } from './common.js';
import { splitKMatrixVector, type KSplit } from './k-split.js';
import { linearShape, shapeWithoutAddresses, type LinearShape } from './linear-shape.js';
import { T, when } from './tokens.js';

/*
 * Linear layer, matrix-vector (decode): the input vector sits in the B buffer
 * and weights stream through the A buffer, one MV tile of output columns at
 * a time, spread over the A channels in `channelLoops` passes.
 *
 * With several rows (a batched step run row by row on the MV engine), the B
 * buffer holds as many input vectors as fit, and each weight tile, once
 * loaded, is multiplied by every one of them: weights stream once per group
 * of rows. FlightLLM's decode has one row, one group.
 *
 *   for each group of rows:
 *     load the group's input vectors [first group: load the bias]
 *     for each tile of output columns:
 *       for each K split: load FSB, metadata (sparse only) and weights per A channel; one MV per row
 *       [fused: element-wise or SiLU on the tile of each row]
 *     store the group's output rows
 */

interface Plan {
  readonly hw: FlightLlmHardware;
  readonly shape: LinearShape;
  readonly split: KSplit;
  /** Output block columns per MV instruction. */
  readonly tileBlocks: number;
  readonly channelLoops: number;
  readonly tiles: number;
  /** Global-buffer words between consecutive output tiles, and between the output rows of a group. */
  readonly outputStride: number;
  readonly rowStride: number;
  /** B-buffer words of one input vector, and the rows a group holds. */
  readonly vectorWords: number;
  readonly rowsPerGroup: number;
}

/** B-buffer words one input vector of K elements occupies (a vector that does not fill its last word is padded). */
function vectorWordsOf(hw: FlightLlmHardware, k: number): number {
  return ceilDiv(ceilDiv(k, hw.buffers.b.hbmChannels.count), hw.buffers.b.widthBytes.matrixVector);
}

/**
 * Rows whose input vectors the B buffer holds at once: the rows that share
 * one pass of the weights when a layer runs row by row on the MV engine.
 */
export function mvRowsPerGroup(hw: FlightLlmHardware, k: number): number {
  return Math.max(1, Math.floor(hw.buffers.b.depthWords / vectorWordsOf(hw, k)));
}

export const planLinearMatrixVector: StepPlanner = (step, { hw }) => {
  const shape = linearShape(step, hw, 'mv');
  if (shape instanceof LayerIssues) return shape.list;
  const issues = new LayerIssues(step);
  const block = hw.sparsity.blockSize;
  const tileBlocks = hw.mpe.matrixVector.tile.n / block;
  const channelLoops = ceilDiv(tileBlocks, hw.buffers.a.hbmChannels.count);
  const split = splitKMatrixVector(hw, shape.kBlocks, channelLoops);
  if (typeof split === 'string') issues.add('param[0].shape', `K = ${shape.k}: ${split}`);
  const vectorWords = vectorWordsOf(hw, shape.k);
  issues.require(
    vectorWords * hw.buffers.b.widthBytes.matrixVector * hw.buffers.b.hbmChannels.count === shape.k && vectorWords <= hw.buffers.b.depthWords,
    'input[0].shape',
    `the input vector of K = ${shape.k} must fill whole B-buffer words and fit in its ${hw.buffers.b.depthWords} words`,
  );
  const tileBytes = hw.mpe.matrixVector.tile.m * hw.mpe.matrixVector.tile.n;
  const tileWords = ceilDiv(ceilDiv(tileBytes, hw.buffers.global.hbmChannels.count), hw.buffers.global.channelWidthBytes.matrixVector);
  issues.require(tileWords * hw.buffers.global.channelWidthBytes.matrixVector * hw.buffers.global.hbmChannels.count === tileBytes, 'output[0].shape', () => `an MV output tile of ${tileBytes} bytes must fill whole global-buffer words`);
  if (issues.list.length > 0 || typeof split === 'string') return issues.list;
  const tiles = ceilDiv(shape.nBlocks, tileBlocks);
  const outputStride = ceilDiv(tileBlocks * block, hw.buffers.global.channelWidthBytes.matrixVector);
  const plan: Plan = { hw, shape, split, tileBlocks, channelLoops, tiles, outputStride, rowStride: tiles * outputStride, vectorWords, rowsPerGroup: mvRowsPerGroup(hw, shape.k) };
  return { emit: (sink) => emit(sink, plan), signature: planSignature({ ...plan, hw: undefined, shape: shapeWithoutAddresses(plan.shape) }) };
};

/** Where the next weight, metadata and FSB loads go. */
interface StreamCursor {
  weightHbm: number;
  weightBank: number;
  metaHbm: number;
  metaBank: number;
  fsbHbm: number;
  fsbBank: number;
}

function emit(sink: InstructionSink, plan: Plan): void {
  for (const group of rowGroups(plan.shape.m, plan.rowsPerGroup)) emitRowGroup(sink, plan, group);
}

/**
 * One group of rows: its input vectors, every weight tile with one MV per
 * row, the group's outputs. A later group's vectors replace this group's in
 * the B buffer, so its load waits for this group's last MV.
 */
function emitRowGroup(sink: InstructionSink, plan: Plan, group: RowGroup): void {
  const { shape } = plan;
  const fused = shape.fusion.kind !== 'none';
  const rows = group.end - group.first;
  sink.load(
    load({ target: 'b', wait: when(!group.isFirst, T.MV), lengthBytes: shape.k * rows, hbmAddress: shape.address.input + group.first * shape.k, crossChannel: true, parallelChannels: 1, bandwidthRatio: shape.inputRatio }),
  );
  if (shape.bias && group.isFirst) sink.load(load({ target: 'bias', lengthBytes: shape.biasBytes, hbmAddress: shape.address.bias, parallelChannels: 1 }));
  const cursor: StreamCursor = { weightHbm: shape.address.weight, weightBank: 0, metaHbm: shape.address.meta, metaBank: 0, fsbHbm: shape.address.fsb, fsbBank: 0 };
  const products = plan.tiles * plan.split.ranges.length;
  let productIndex = 0;
  for (let tile = 0; tile < plan.tiles; tile++) {
    for (const [kFirst, kEnd] of plan.split.ranges) {
      productIndex++;
      const start = { weight: cursor.weightBank, meta: cursor.metaBank, fsb: cursor.fsbBank };
      emitWeightLoads(sink, plan, { tile, kBlocks: kEnd - kFirst, cursor, waitForEngine: productIndex > plan.split.depth });
      for (let row = 0; row < rows; row++) {
        emitProduct(sink, plan, { tile, row, rows, kBlocks: kEnd - kFirst, lastSplit: kEnd === shape.kBlocks, productIndex, products, group, start });
      }
    }
    if (!fused) continue;
    for (let row = 0; row < rows; row++) emitFusedMisc(sink, plan, { outputBank: outputBankOf(plan, tile, row), releasesStore: tile === plan.tiles - 1 && row === rows - 1 });
  }
  sink.store(store({ wait: fused ? T.MISC : T.MV, lengthBytes: rows * shape.n, hbmAddress: shape.address.output + group.first * shape.n, parallelChannels: 1, bandwidthRatio: shape.outputRatio }));
}

/** Global-buffer word where a row's output tile lands. */
function outputBankOf(plan: Plan, tile: number, row: number): number {
  return (tile * plan.outputStride + row * plan.rowStride) % plan.hw.buffers.global.depthWords;
}

interface Product {
  readonly tile: number;
  /** Position of the row in its group, and the group's rows. */
  readonly row: number;
  readonly rows: number;
  readonly kBlocks: number;
  readonly lastSplit: boolean;
  /** 1-based index of the weight tile in the group, and how many there are. */
  readonly productIndex: number;
  readonly products: number;
  readonly group: RowGroup;
  readonly start: { readonly weight: number; readonly meta: number; readonly fsb: number };
}

/**
 * One row's MV on the loaded weight tile. The group's first row waits for
 * the loads; its last frees the A buffer for the loads `depth` tiles ahead,
 * and, after the group's last tile, releases the store and the next group's
 * vector load.
 */
function emitProduct(sink: InstructionSink, plan: Plan, product: Product): void {
  const { hw, shape } = plan;
  const fused = shape.fusion.kind !== 'none';
  const lastRow = product.row === product.rows - 1;
  const lastProduct = product.productIndex === product.products;
  sink.matrix(
    Module.MV,
    matrix({
      wait: when(product.row === 0, T.LD),
      release:
        when(lastRow && (product.productIndex + plan.split.depth <= product.products || (lastProduct && !product.group.isLast)), T.LD) |
        when(lastRow && lastProduct && product.lastSplit && !fused, T.ST) |
        when(product.lastSplit && fused, T.MISC),
      kBlocks: product.kBlocks,
      aAddress: product.start.weight % hw.buffers.a.depthWords,
      bAddress: (product.row * plan.vectorWords) % hw.buffers.b.depthWords,
      outAddress: outputBankOf(plan, product.tile, product.row),
      metaAddress: shape.sparseStreams ? product.start.meta % hw.buffers.meta.depthWords : 0,
      fsbAddress: shape.sparseStreams ? product.start.fsb % hw.buffers.fsb.depthWords : 0,
      bias: shape.bias,
      relu: shape.relu,
      sparse: shape.sparseCompute,
      output: product.lastSplit,
      sparseRatio: shape.sparseRatio,
      rate: shape.matrixRate,
    }),
  );
}

/**
 * One K split of one output tile: per A channel, the blocks of the tile that
 * channel holds. The group's first load waits for the engine once the
 * buffers are full; its last releases the MV.
 */
function emitWeightLoads(sink: InstructionSink, plan: Plan, tile: { tile: number; kBlocks: number; cursor: StreamCursor; waitForEngine: boolean }): void {
  const { hw, shape } = plan;
  const block = hw.sparsity.blockSize;
  const channels = hw.buffers.a.hbmChannels.count;
  const c = tile.cursor;
  let pendingWait = when(tile.waitForEngine, T.MV);
  for (let channel = 0; channel < channels; channel++) {
    const dataLoops = dataLoopsOf(plan, channel);
    const weightBytes = Math.floor((dataLoops * Math.floor((tile.kBlocks * block) / 2) * block * 2 * plan.channelLoops) / plan.channelLoops);
    const metaBytes = weightBytes / 2;
    const fsbBytes = tile.kBlocks * plan.channelLoops;
    if (shape.sparseStreams) {
      sink.load(load({ target: 'fsb', wait: pendingWait, lengthBytes: fsbBytes, hbmAddress: c.fsbHbm, bankAddress: c.fsbBank % hw.buffers.fsb.depthWords, hbmChannel: channel % hw.buffers.fsb.hbmChannels.count, parallelChannels: 1 }));
      sink.load(load({ target: 'meta', lengthBytes: metaBytes, hbmAddress: c.metaHbm, bankAddress: c.metaBank % hw.buffers.meta.depthWords, hbmChannel: channel % hw.buffers.meta.hbmChannels.count, parallelChannels: 1 }));
      pendingWait = 0;
    }
    if (dataLoops > 0) {
      // The blocks of this channel that lie beyond N are zero-filled, not
      // loaded: only the loops holding data are read. (FlightLLM subtracts
      // the zero-filled bytes a second time, which matters only when N is
      // narrower than one MV tile; we do not.)
      const lastColumn = tile.tile * plan.tileBlocks + (dataLoops - 1) * channels + channel;
      sink.load(
        load({
          target: 'a',
          wait: pendingWait,
          lengthBytes: weightBytes,
          hbmAddress: c.weightHbm,
          bankAddress: c.weightBank % hw.buffers.a.depthWords,
          hbmChannel: lastColumn % channels,
          parallelChannels: channels,
          bandwidthRatio: shape.weightBandwidthRatio,
        }),
      );
      pendingWait = 0;
    }
    if (shape.sparseStreams) {
      c.fsbHbm += fsbBytes;
      c.fsbBank += fsbBytes / hw.buffers.fsb.widthBytes;
      c.metaHbm += metaBytes;
      c.metaBank += metaBytes / hw.buffers.meta.widthBytes;
    }
    c.weightHbm += weightBytes;
    c.weightBank += weightBytes / hw.buffers.a.channelWidthBytes.matrixVector;
  }
  sink.addRelease(Module.LD, T.MV);
}

/**
 * Channel loops of a tile that hold weight columns. Quirk kept from FlightLLM:
 * the test compares against the layer's block count, not the tile's, so the
 * padding columns of a partial last tile are loaded as if they held weights.
 */
function dataLoopsOf(plan: Plan, channel: number): number {
  const channels = plan.hw.buffers.a.hbmChannels.count;
  let loops = 0;
  for (let loop = 0; loop < plan.channelLoops; loop++) if (loop * channels + channel < plan.shape.nBlocks) loops++;
  return loops;
}

function emitFusedMisc(sink: InstructionSink, plan: Plan, output: { outputBank: number; releasesStore: boolean }): void {
  const { hw, shape } = plan;
  const fusion = shape.fusion;
  const at = output.outputBank;
  const kBlocks = plan.tileBlocks;
  const done = when(output.releasesStore, T.ST);
  const rate = shape.vectorRate;
  if (fusion.kind === 'silu') {
    sink.misc(misc('silu', { wait: T.MV, release: done, kBlocks, inAAddress: at, outAddress: at, rate }));
    return;
  }
  if (fusion.kind !== 'eltwise') return;
  const channels = hw.buffers.global.hbmChannels.count;
  // The RoPE chain loads its second operands (sine and cosine tables) twice.
  for (let copy = 0; copy < (fusion.chain === 3 ? 2 : 1); copy++) {
    for (let channel = 0; channel < channels; channel++) {
      sink.load(
        load({
          target: 'global',
          release: when(channel === channels - 1, T.MISC),
          lengthBytes: plan.tileBlocks * hw.sparsity.blockSize,
          hbmAddress: fusion.otherInputAddress,
          hbmChannel: channel,
          parallelChannels: channels,
          bandwidthRatio: fusion.otherInputRatio,
        }),
      );
    }
  }
  if (fusion.chain === 1) {
    sink.misc(misc(fusion.operation, { wait: T.LD | T.MV, release: done, kBlocks, inAAddress: at, outAddress: at, rate }));
    return;
  }
  sink.misc(misc(fusion.operation, { wait: T.LD | T.MV, kBlocks, inAAddress: at, outAddress: at, rate }));
  sink.misc(misc(fusion.operation, { wait: T.LD, kBlocks, inAAddress: at, outAddress: at, rate }));
  sink.misc(misc(fusion.operation, { release: done, kBlocks, inAAddress: at, outAddress: at, rate }));
}
