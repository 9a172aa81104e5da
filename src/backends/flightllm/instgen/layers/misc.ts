import type { FlightLlmHardware } from '../../schema.js';
import type { LayerOf } from '../../../../ir/index.js';
import type { MiscOperation } from '../../isa/index.js';
import type { InstructionSink } from '../instructions.js';
import { load, misc, store } from './builders.js';
import { ceilDiv, formatShape, LayerIssues, planSignature, shape3, type StepPlanner } from './common.js';
import { tensorRatio, vectorRate } from './precision.js';
import { T, when } from './tokens.js';

/*
 * A vector layer on its own (softmax, layer norm, element-wise, SiLU): row by
 * row, load the row (two operands for element-wise), run one MISC in place,
 * store the row. The global buffer holds `depth` rows; beyond that, a load
 * waits for the MISC that frees its slot and a MISC for the store that does.
 */

type VectorLayer = LayerOf<'softmax'> | LayerOf<'layernorm'> | LayerOf<'eltwise'> | LayerOf<'silu'>;

interface Plan {
  readonly hw: FlightLlmHardware;
  readonly operation: MiscOperation;
  readonly twoOperands: boolean;
  readonly batch: number;
  readonly rows: number;
  readonly k: number;
  readonly kBlocks: number;
  /** Global-buffer words a row occupies, and the span rows rotate through. */
  readonly rowWords: number;
  readonly span: number;
  readonly depth: number;
  readonly address: { readonly a: number; readonly b: number; readonly output: number };
  /** Bandwidth multipliers of the operands and the output, and the vector engine's rate for the data. */
  readonly ratio: { readonly a: number; readonly b: number; readonly output: number };
  readonly rate: number;
}

/** Rows of `k` elements the global buffer holds at once: a vector layer's pipeline depth. */
export function vectorRowsInFlight(hw: FlightLlmHardware, k: number): number {
  const lineBytes = hw.buffers.global.channelWidthBytes.misc * hw.buffers.global.hbmChannels.count;
  return Math.max(1, Math.floor(hw.buffers.global.depthWords / ceilDiv(k, lineBytes)));
}

export const planVectorLayer: StepPlanner = (step, { hw }) => {
  const layer = step.layer as VectorLayer;
  const issues = new LayerIssues(step);
  const input = shape3(layer.input[0]);
  if (!issues.require(input !== undefined && layer.output.length === 1, 'input[0].shape', () => `expected a 3-D input and one output, got ${formatShape(layer.input[0]?.shape)}`)) return issues.list;
  const [batch, rows, k] = input!;
  const block = hw.sparsity.blockSize;
  checkOperands(layer, input!, issues);
  issues.require(k % block === 0, 'input[0].shape', () => `the row length ${k} must be a multiple of the block size ${block}`);
  const lineBytes = hw.buffers.global.channelWidthBytes.misc * hw.buffers.global.hbmChannels.count;
  const rowWords = ceilDiv(k, lineBytes);
  issues.require(rowWords * lineBytes === k, 'input[0].shape', () => `a row of ${k} elements must fill whole global-buffer lines of ${lineBytes} bytes`);
  const twoOperands = layer.type === 'eltwise';
  // Element-wise layers keep the first operand (and the result) in the lower
  // half of the buffer and the second operand in the upper half.
  const span = twoOperands ? Math.floor(hw.buffers.global.depthWords / 2) : hw.buffers.global.depthWords;
  const depth = Math.floor(span / rowWords);
  issues.require(depth >= 2, 'input[0].shape', () => `a row of ${k} elements does not fit twice in the global buffer`);
  const rate = vectorRate(hw, layer.input[0]!.dtype, issues, 'input[0].dtype');
  if (issues.list.length > 0) return issues.list;
  const plan: Plan = {
    hw,
    operation: operationOf(layer),
    twoOperands,
    batch,
    rows,
    k,
    kBlocks: k / block,
    rowWords,
    span,
    depth,
    address: { a: layer.input[0]!.addr, b: layer.input[1]?.addr ?? 0, output: layer.output[0]!.addr },
    ratio: { a: tensorRatio(layer.input[0]!), b: layer.input[1] === undefined ? 1 : tensorRatio(layer.input[1]), output: tensorRatio(layer.output[0]!) },
    rate,
  };
  return { emit: (sink) => emit(sink, plan), signature: planSignature({ ...plan, hw: undefined, address: undefined }) };
};

const OPERATION: Record<VectorLayer['type'], (layer: VectorLayer) => MiscOperation> = {
  softmax: () => 'softmax',
  layernorm: (layer) => ((layer as LayerOf<'layernorm'>).structure.RMS_flag ? 'rms_norm' : 'layernorm'),
  eltwise: (layer) => (layer as LayerOf<'eltwise'>).structure.eltwise_type,
  silu: () => 'silu',
};

function operationOf(layer: VectorLayer): MiscOperation {
  return OPERATION[layer.type](layer);
}

/** Operand, parameter and output rules of each vector layer type. */
function checkOperands(layer: VectorLayer, input: readonly [number, number, number], issues: LayerIssues): void {
  const shape = formatShape(input);
  const sameAsInput = (tensor: { shape: readonly number[] } | undefined) => formatShape(tensor?.shape) === shape;
  issues.require(sameAsInput(layer.output[0]), 'output[0].shape', () => `must equal the input shape ${shape}, got ${formatShape(layer.output[0]?.shape)}`);
  if (layer.type === 'eltwise') {
    issues.require(layer.input.length === 2 && sameAsInput(layer.input[1]), 'input', () => `an element-wise layer takes two inputs of the same shape, got ${layer.input.map((t) => formatShape(t.shape)).join(' and ')}`);
    return;
  }
  issues.require(layer.input.length === 1, 'input', () => `takes one input, got ${layer.input.length}`);
  if (layer.type === 'softmax') issues.require(layer.structure.dim === 2, 'structure.dim', () => `softmax runs along the last axis (dim 2), got ${layer.structure.dim}`);
  if (layer.type === 'layernorm' || layer.type === 'silu') issues.require(input[0] === 1, 'input[0].shape', () => `expected a batch of 1, got ${input[0]}`);
  if (layer.type === 'layernorm') {
    const expected = layer.structure.bias_flag ? 2 : 1;
    issues.require(layer.param.length === expected, 'param', () => `expected ${expected} parameters (scale${expected === 2 ? ', bias' : ''}), got ${layer.param.length}`);
    layer.param.forEach((param, index) => issues.require(formatShape(param.shape) === formatShape([1, 1, input[2]]), `param[${index}].shape`, `expected [1, 1, ${input[2]}], got ${formatShape(param.shape)}`));
  }
}

function emit(sink: InstructionSink, plan: Plan): void {
  const { hw } = plan;
  const total = plan.batch * plan.rows;
  const channels = hw.buffers.global.hbmChannels.count;
  let bank = 0;
  for (let batch = 0; batch < plan.batch; batch++) {
    for (let row = 0; row < plan.rows; row++) {
      const index = batch * plan.rows + row + 1;
      const slotBusy = index > plan.depth;
      const freesSlot = index + plan.depth <= total;
      const offset = (batch * plan.rows + row) * plan.k;
      // FlightLLM picks the channel from the row's block index rounded up.
      const hbmChannel = ceilDiv(row, hw.sparsity.blockSize) % channels;
      const slot = bank % plan.span;
      const hbmA = plan.address.a + offset;
      if (plan.twoOperands) {
        sink.load(load({ target: 'global', wait: when(slotBusy, T.MISC), lengthBytes: plan.k, hbmAddress: hbmA, bankAddress: slot, hbmChannel, parallelChannels: 1, bandwidthRatio: plan.ratio.a }));
        sink.load(load({ target: 'global', release: T.MISC, lengthBytes: plan.k, hbmAddress: plan.address.b + offset, bankAddress: plan.span + slot, hbmChannel, parallelChannels: 1, bandwidthRatio: plan.ratio.b }));
      } else {
        sink.load(load({ target: 'global', wait: when(slotBusy, T.MISC), release: T.MISC, lengthBytes: plan.k, hbmAddress: hbmA, bankAddress: slot, hbmChannel, parallelChannels: 1, bandwidthRatio: plan.ratio.a }));
      }
      sink.misc(
        misc(plan.operation, {
          wait: T.LD | when(slotBusy, T.ST),
          release: T.ST | when(freesSlot, T.LD),
          kBlocks: plan.kBlocks,
          inAAddress: slot,
          inBAddress: plan.twoOperands ? plan.span + slot : 0,
          outAddress: slot,
          rate: plan.rate,
        }),
      );
      sink.store(store({ wait: T.MISC, release: when(freesSlot, T.MISC), lengthBytes: plan.k, hbmAddress: plan.address.output + offset, bankAddress: slot, hbmChannel, parallelChannels: 1, bandwidthRatio: plan.ratio.output }));
      bank += plan.rowWords;
    }
  }
}
