import type { FlightLlmHardware } from '../../schema.js';
import { Module } from '../../isa/index.js';
import type { InstructionSink } from '../instructions.js';
import { load, matrix, misc, store } from './builders.js';
import { ceilDiv, LayerIssues, planSignature, rowGroups, type RowGroup, type StepPlanner } from './common.js';
import { splitKMatrixMatrix, type KSplit } from './k-split.js';
import { linearShape, shapeWithoutAddresses, type LinearShape } from './linear-shape.js';
import { T, when } from './tokens.js';

/*
 * Linear layer, matrix-matrix (prefill): activations stay in the A buffer
 * while weights stream through the B buffer.
 *
 *   load the bias
 *   for each group of rows (one MPE row tile):
 *     load the group's activation blocks, one per A channel
 *     for each block column of the output:
 *       for each K split: load FSB, metadata (sparse only) and weights; MM
 *       [fused: element-wise or SiLU on the column]
 *       store the column, one block per A channel
 */

interface Plan {
  readonly hw: FlightLlmHardware;
  readonly shape: LinearShape;
  readonly split: KSplit;
  /** Output columns the global buffer holds before the engine must wait for stores. */
  readonly outputDepth: number;
  /** Global-buffer words one output column occupies. */
  readonly outputWordsPerColumn: number;
  /** Bytes the last block row stores per column (see emitColumnStores). */
  readonly lastRowBytes: number;
}

export const planLinearMatrixMatrix: StepPlanner = (step, { hw, flightllmShape }) => {
  const shape = linearShape(step, hw, 'mm');
  if (shape instanceof LayerIssues) return shape.list;
  const issues = new LayerIssues(step);
  const block = hw.sparsity.blockSize;
  const rows = hw.mpe.matrixMatrix.parallelism.m;
  const activationWords = ceilDiv(block * block, hw.buffers.a.channelWidthBytes.matrixMatrix) * shape.kBlocks;
  issues.require(activationWords <= hw.buffers.a.depthWords, 'input[0].shape', () => `K = ${shape.k} needs ${activationWords} A-buffer words per row block, but buffers.a.depthWords is ${hw.buffers.a.depthWords}`);
  const split = splitKMatrixMatrix(hw, shape.kBlocks);
  if (typeof split === 'string') issues.add('param[0].shape', `K = ${shape.k}: ${split}`);
  const outputWordsPerColumn = ceilDiv(rows * block, hw.buffers.global.channelWidthBytes.matrixMatrix * hw.buffers.global.hbmChannels.count);
  const outputDepth = Math.floor(hw.buffers.global.depthWords / outputWordsPerColumn);
  issues.require(outputDepth >= 2, 'output[0].shape', () => `the global buffer cannot double-buffer an output column (${outputWordsPerColumn} words of ${hw.buffers.global.depthWords})`);
  if (issues.list.length > 0 || typeof split === 'string') return issues.list;
  // Quirk kept from FlightLLM in its own shapes: the last block row stores
  // (rows left) bytes, not (rows left) × block bytes, e.g. 16 bytes instead
  // of 256. A batched step stores what the block row holds.
  const rowsLeft = shape.m - (shape.mBlocks - 1) * block;
  const lastRowBytes = flightllmShape ? rowsLeft : rowsLeft * block;
  const plan: Plan = { hw, shape, split, outputDepth, outputWordsPerColumn, lastRowBytes };
  return { emit: (sink) => emit(sink, plan), signature: planSignature({ ...plan, hw: undefined, shape: shapeWithoutAddresses(plan.shape) }) };
};

function emit(sink: InstructionSink, plan: Plan): void {
  const { hw, shape } = plan;
  if (shape.bias) sink.load(load({ target: 'bias', lengthBytes: shape.biasBytes, hbmAddress: shape.address.bias, parallelChannels: 1 }));
  for (const group of rowGroups(shape.mBlocks, hw.mpe.matrixMatrix.parallelism.m / hw.sparsity.blockSize)) emitRowGroup(sink, plan, group);
}

/** Where the next weight, metadata and FSB loads go; restarts with every row group. */
interface StreamCursor {
  weightHbm: number;
  weightBank: number;
  metaHbm: number;
  metaBank: number;
  fsbHbm: number;
  fsbBank: number;
}

function emitRowGroup(sink: InstructionSink, plan: Plan, group: RowGroup): void {
  const { hw, shape, split } = plan;
  const blockBytes = hw.sparsity.blockSize ** 2;
  const channels = hw.buffers.a.hbmChannels.count;
  for (let row = group.first; row < group.end; row++) {
    sink.load(
      load({
        target: 'a',
        wait: when(row === group.first && !group.isFirst, T.MM),
        lengthBytes: blockBytes * shape.kBlocks,
        hbmAddress: shape.address.input + row * shape.kBlocks * blockBytes,
        hbmChannel: row % channels,
        parallelChannels: channels,
        bandwidthRatio: shape.inputRatio,
      }),
    );
  }
  const cursor: StreamCursor = { weightHbm: shape.address.weight, weightBank: 0, metaHbm: shape.address.meta, metaBank: 0, fsbHbm: shape.address.fsb, fsbBank: 0 };
  const streams = shape.nBlocks * split.ranges.length;
  let streamIndex = 0;
  for (let column = 0; column < shape.nBlocks; column++) {
    for (const [kFirst, kEnd] of split.ranges) {
      streamIndex++;
      emitWeightsAndProduct(sink, plan, { column, kFirst, kEnd, streamIndex, streams, group, cursor });
    }
    const releasesEngine = column + 1 + plan.outputDepth <= shape.nBlocks;
    if (shape.fusion.kind !== 'none') emitFusedMisc(sink, plan, group, releasesEngine);
    emitColumnStores(sink, plan, { group, column, releasesEngine });
  }
}

interface WeightStep {
  readonly column: number;
  readonly kFirst: number;
  readonly kEnd: number;
  /** 1-based index of this weight stream in the row group, and how many there are. */
  readonly streamIndex: number;
  readonly streams: number;
  readonly group: RowGroup;
  readonly cursor: StreamCursor;
}

function emitWeightsAndProduct(sink: InstructionSink, plan: Plan, w: WeightStep): void {
  const { hw, shape, split } = plan;
  const kBlocks = w.kEnd - w.kFirst;
  const lastSplit = w.kEnd === shape.kBlocks;
  const fused = shape.fusion.kind !== 'none';
  const weightBytes = Math.floor((kBlocks * hw.sparsity.blockSize) / 2) * hw.sparsity.blockSize * 2;
  const metaBytes = weightBytes / 2;
  const fsbBytes = kBlocks;
  const c = w.cursor;
  const weightBank = c.weightBank % hw.buffers.b.depthWords;
  const metaBank = c.metaBank % hw.buffers.meta.depthWords;
  const fsbBank = c.fsbBank % hw.buffers.fsb.depthWords;
  let pendingWait = when(w.streamIndex > split.depth, T.MM);
  if (shape.sparseStreams) {
    const fsbChannel = w.column % hw.buffers.fsb.hbmChannels.count;
    const metaChannel = w.column % hw.buffers.meta.hbmChannels.count;
    sink.load(load({ target: 'fsb', wait: pendingWait, lengthBytes: fsbBytes, hbmAddress: c.fsbHbm, bankAddress: fsbBank, hbmChannel: fsbChannel, parallelChannels: 1 }));
    sink.load(load({ target: 'meta', lengthBytes: metaBytes, hbmAddress: c.metaHbm, bankAddress: metaBank, hbmChannel: metaChannel, crossChannel: true, parallelChannels: 1 }));
    pendingWait = 0;
  }
  sink.load(
    load({
      target: 'b',
      wait: pendingWait,
      release: T.MM,
      lengthBytes: weightBytes,
      hbmAddress: c.weightHbm,
      bankAddress: weightBank,
      hbmChannel: w.column % hw.buffers.b.hbmChannels.count,
      crossChannel: true,
      parallelChannels: 1,
      bandwidthRatio: shape.weightBandwidthRatio,
    }),
  );
  const outputBlocked = w.column + 1 > plan.outputDepth && lastSplit;
  const releasesLoads = w.streamIndex + split.depth <= w.streams || (w.streamIndex === w.streams && !w.group.isLast && lastSplit);
  sink.matrix(
    Module.MM,
    matrix({
      wait: T.LD | when(outputBlocked && !fused, T.ST) | when(outputBlocked && fused, T.MISC),
      release: when(lastSplit, fused ? T.MISC : T.ST) | when(releasesLoads, T.LD),
      kBlocks,
      bAddress: weightBank,
      outAddress: (w.column * plan.outputWordsPerColumn) % hw.buffers.global.depthWords,
      metaAddress: shape.sparseStreams ? metaBank : 0,
      fsbAddress: shape.sparseStreams ? fsbBank : 0,
      bias: shape.bias,
      relu: shape.relu,
      sparse: shape.sparseCompute,
      output: lastSplit,
      sparseRatio: shape.sparseRatio,
      rate: shape.matrixRate,
    }),
  );
  advance(c, plan, { weightBytes, metaBytes, fsbBytes });
}

/** Moves the stream cursor past one K split's weights (and their metadata and FSB bytes, when streamed). */
function advance(cursor: StreamCursor, plan: Plan, bytes: { weightBytes: number; metaBytes: number; fsbBytes: number }): void {
  const { hw, shape } = plan;
  if (shape.sparseStreams) {
    cursor.fsbHbm += bytes.fsbBytes;
    cursor.fsbBank += bytes.fsbBytes / hw.buffers.fsb.widthBytes;
    cursor.metaHbm += bytes.metaBytes;
    cursor.metaBank += bytes.metaBytes / hw.buffers.meta.widthBytes;
  }
  cursor.weightHbm += bytes.weightBytes;
  cursor.weightBank += bytes.weightBytes / hw.buffers.b.widthBytes.matrixMatrix;
}

/** Vector work fused on each output column: SiLU, or an element-wise op (or the RoPE chain) with its second operand. */
function emitFusedMisc(sink: InstructionSink, plan: Plan, group: RowGroup, releasesEngine: boolean): void {
  const { hw, shape } = plan;
  const fusion = shape.fusion;
  const kBlocks = group.end - group.first;
  const done = T.ST | when(releasesEngine, T.MM);
  const rate = shape.vectorRate;
  if (fusion.kind === 'silu') {
    sink.misc(misc('silu', { wait: T.MM, release: done, kBlocks, rate }));
    return;
  }
  if (fusion.kind !== 'eltwise') return;
  const channels = hw.buffers.global.hbmChannels.count;
  // The RoPE chain loads its second operands (sine and cosine tables) twice.
  for (let copy = 0; copy < (fusion.chain === 3 ? 2 : 1); copy++) {
    for (let row = group.first; row < group.end; row++) {
      sink.load(
        load({
          target: 'global',
          release: when(row === group.end - 1, T.MISC),
          lengthBytes: hw.sparsity.blockSize ** 2,
          hbmAddress: fusion.otherInputAddress,
          hbmChannel: row % channels,
          parallelChannels: channels,
          bandwidthRatio: fusion.otherInputRatio,
        }),
      );
    }
  }
  if (fusion.chain === 1) {
    sink.misc(misc(fusion.operation, { wait: T.LD | T.MM, release: done, kBlocks, rate }));
    return;
  }
  sink.misc(misc(fusion.operation, { wait: T.LD | T.MM, kBlocks, rate }));
  sink.misc(misc(fusion.operation, { wait: T.LD, kBlocks, rate }));
  sink.misc(misc(fusion.operation, { release: done, kBlocks, rate }));
}

function emitColumnStores(sink: InstructionSink, plan: Plan, stores: { group: RowGroup; column: number; releasesEngine: boolean }): void {
  const { hw, shape } = plan;
  const blockBytes = hw.sparsity.blockSize ** 2;
  const channels = hw.buffers.global.hbmChannels.count;
  const fused = shape.fusion.kind !== 'none';
  for (let row = stores.group.first; row < stores.group.end; row++) {
    sink.store(
      store({
        wait: when(row === stores.group.first, fused ? T.MISC : T.MM),
        release: when(row === stores.group.end - 1 && stores.releasesEngine && !fused, T.MM),
        lengthBytes: row < shape.mBlocks - 1 ? blockBytes : plan.lastRowBytes,
        hbmAddress: shape.address.output + (row * shape.nBlocks + stores.column) * blockBytes,
        bankAddress: (stores.column * plan.outputWordsPerColumn) % hw.buffers.global.depthWords,
        hbmChannel: row % channels,
        parallelChannels: channels,
        bandwidthRatio: shape.outputRatio,
      }),
    );
  }
}
