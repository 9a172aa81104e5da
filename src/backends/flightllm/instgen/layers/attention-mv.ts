import type { FlightLlmHardware } from '../../schema.js';
import type { LayerOf } from '../../../../ir/index.js';
import { Module } from '../../isa/index.js';
import type { InstructionSink } from '../instructions.js';
import { attentionOperands, attentionPrecision, type AttentionPrecision } from './attention-mm.js';
import { load, matrix, misc, store } from './builders.js';
import { ceilDiv, LayerIssues, planSignature, type StepPlanner } from './common.js';
import { T, when } from './tokens.js';

/*
 * Attention products in matrix-vector form (decode): every query head's
 * vector (the query, or its softmax row) sits in the B buffer, Kᵀ (or V)
 * streams through the A buffer one MV tile of columns at a time. Decode
 * attention is dense. With grouped-query attention, a key/value tile is
 * loaded once and multiplied by each query head of its group.
 *
 *   load every query head's vector
 *   for each key/value head:
 *     for each tile of output columns: load it per A channel; one MV per query head of the group
 *     [fused softmax over each query head's row]
 *   store every head's output
 */

interface Plan {
  readonly hw: FlightLlmHardware;
  readonly heads: number;
  readonly kvHeads: number;
  readonly k: number;
  readonly n: number;
  readonly kBlocks: number;
  readonly nBlocks: number;
  readonly tileBlocks: number;
  readonly channelLoops: number;
  readonly tiles: number;
  /** A-buffer words of one block column of K elements over all channel loops. */
  readonly columnWords: number;
  /** Tiles the A buffer holds before a load must wait for the engine. */
  readonly inputDepth: number;
  readonly vectorWords: number;
  readonly tileOutputWords: number;
  /** Blocks the fused softmax normalises per head. */
  readonly softmaxBlocks: number | undefined;
  readonly address: { readonly vector: number; readonly matrix: number; readonly output: number };
  readonly precision: AttentionPrecision;
}

export const planAttentionMatrixVector: StepPlanner = (step, { hw }) => {
  const issues = new LayerIssues(step);
  const operands = attentionOperands(step, issues);
  if (operands === undefined) return issues.list;
  const layer = step.layer as LayerOf<'attention_mv'>;
  const { heads, kvHeads, m, k, n } = operands;
  const block = hw.sparsity.blockSize;
  issues.require(layer.structure.mask_mode === 'none', 'structure.mask_mode', () => `decode attention is dense: mask_mode must be none, got ${layer.structure.mask_mode}`);
  issues.require(m === 1, 'input[0].shape', () => `a matrix-vector attention product needs M = 1, got ${m}`);
  if (issues.list.length > 0) return issues.list;
  const tileBlocks = hw.mpe.matrixVector.tile.n / block;
  const channelLoops = ceilDiv(tileBlocks, hw.buffers.a.hbmChannels.count);
  const columnWords = (block * k * channelLoops) / hw.buffers.a.channelWidthBytes.matrixVector;
  const inputDepth = Math.floor(hw.buffers.a.depthWords / columnWords);
  issues.require(Number.isInteger(columnWords) && inputDepth >= 2, 'input[1].shape', () => `a tile of K = ${k} does not fit twice in the A buffer (${hw.buffers.a.depthWords} words)`);
  // A vector that does not fill its last B-buffer word is padded.
  const vectorWords = ceilDiv(ceilDiv(k, hw.buffers.b.hbmChannels.count), hw.buffers.b.widthBytes.matrixVector);
  issues.require(vectorWords * heads <= hw.buffers.b.depthWords, 'input[0].shape', () => `${heads} input vectors of K = ${k} (${vectorWords * heads} words) do not fit in the B buffer's ${hw.buffers.b.depthWords} words`);
  const tileBytes = hw.mpe.matrixVector.tile.m * hw.mpe.matrixVector.tile.n;
  const tileOutputWords = ceilDiv(ceilDiv(tileBytes, hw.buffers.global.hbmChannels.count), hw.buffers.global.channelWidthBytes.matrixVector);
  const tiles = ceilDiv(ceilDiv(n, block), tileBlocks);
  issues.require(tiles * tileBlocks * tileOutputWords <= hw.buffers.global.depthWords, 'output[0].shape', () => `an output row of N = ${n} does not fit in the global buffer (${hw.buffers.global.depthWords} words)`);
  const precision = attentionPrecision(step, hw, issues);
  if (issues.list.length > 0) return issues.list;
  const softmax = step.fused[0] as LayerOf<'softmax'> | undefined;
  const plan: Plan = {
    hw,
    heads,
    kvHeads,
    k,
    n,
    kBlocks: ceilDiv(k, block),
    nBlocks: ceilDiv(n, block),
    tileBlocks,
    channelLoops,
    tiles,
    columnWords,
    inputDepth,
    vectorWords,
    tileOutputWords,
    softmaxBlocks: softmax === undefined ? undefined : ceilDiv(softmax.input[0]!.shape[2]!, block),
    address: { vector: layer.input[0]!.addr, matrix: layer.input[1]!.addr, output: layer.output[0]!.addr },
    precision,
  };
  return { emit: (sink) => emit(sink, plan), signature: planSignature({ ...plan, hw: undefined, address: undefined }) };
};

function emit(sink: InstructionSink, plan: Plan): void {
  const { hw } = plan;
  const fused = plan.softmaxBlocks !== undefined;
  const group = plan.heads / plan.kvHeads;
  sink.load(load({ target: 'b', lengthBytes: plan.k * plan.heads, hbmAddress: plan.address.vector, crossChannel: true, parallelChannels: 1, bandwidthRatio: plan.precision.aRatio }));
  let aBank = 0;
  const headOutputWords = plan.tiles * plan.tileBlocks * plan.tileOutputWords;
  for (let kvHead = 0; kvHead < plan.kvHeads; kvHead++) {
    const queryHeads = Array.from({ length: group }, (_, member) => kvHead * group + member);
    for (let tile = 0; tile < plan.tiles; tile++) {
      const index = tile + 1;
      const lastTile = index === plan.tiles;
      emitTileLoads(sink, plan, { kvHead, bank: aBank, waitForEngine: index > plan.inputDepth });
      queryHeads.forEach((head, member) => {
        const lastMember = member === group - 1;
        sink.matrix(
          Module.MV,
          matrix({
            wait: when(member === 0, T.LD),
            release: when(lastMember && index + plan.inputDepth <= plan.tiles, T.LD) | when(lastTile && head === plan.heads - 1 && !fused, T.ST) | when(lastTile && fused, T.MISC),
            kBlocks: plan.kBlocks,
            aAddress: aBank % hw.buffers.a.depthWords,
            bAddress: (plan.vectorWords * head) % hw.buffers.b.depthWords,
            outAddress: (head * headOutputWords + tile * plan.tileBlocks * plan.tileOutputWords) % hw.buffers.global.depthWords,
            rate: plan.precision.matrixRate,
          }),
        );
      });
      aBank += plan.tileBlocks * plan.columnWords;
    }
    if (plan.softmaxBlocks === undefined) continue;
    for (const head of queryHeads) {
      const bank = (head * headOutputWords) % hw.buffers.global.depthWords;
      sink.misc(misc('softmax', { wait: T.MV, release: when(head === plan.heads - 1, T.ST), kBlocks: plan.softmaxBlocks, inAAddress: bank, outAddress: bank, rate: plan.precision.vectorRate }));
    }
  }
  sink.store(store({ wait: fused ? T.MISC : T.MV, lengthBytes: plan.n * plan.heads, hbmAddress: plan.address.output, parallelChannels: 1, bandwidthRatio: plan.precision.outputRatio }));
}

/**
 * Loads one tile of Kᵀ (or V) columns, one load per A channel covering the
 * channel's loops that hold data. Quirk kept from FlightLLM: whether a loop
 * holds data is judged against the layer's block count, not the tile's, so
 * the padding of a partial last tile is loaded too.
 */
function emitTileLoads(sink: InstructionSink, plan: Plan, tile: { kvHead: number; bank: number; waitForEngine: boolean }): void {
  const { hw } = plan;
  const channels = hw.buffers.a.hbmChannels.count;
  const blockBytes = hw.sparsity.blockSize ** 2;
  let pendingWait = when(tile.waitForEngine, T.MV);
  for (let channel = 0; channel < channels; channel++) {
    let dataLoops = 0;
    for (let loop = 0; loop < plan.channelLoops; loop++) if (loop * channels + channel < plan.nBlocks) dataLoops++;
    if (dataLoops > 0) {
      sink.load(
        load({
          target: 'a',
          wait: pendingWait,
          lengthBytes: hw.sparsity.blockSize * plan.k * dataLoops,
          hbmAddress: plan.address.matrix + tile.kvHead * plan.k * plan.n + channel * plan.kBlocks * blockBytes,
          bankAddress: (tile.bank + channel * plan.channelLoops * plan.columnWords) % hw.buffers.a.depthWords,
          hbmChannel: channel,
          parallelChannels: channels,
          bandwidthRatio: plan.precision.bRatio,
        }),
      );
      pendingWait = 0;
    }
  }
  sink.addRelease(Module.LD, T.MV);
}
