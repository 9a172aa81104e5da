import type { FlightLlmHardware } from '../../schema.js';
import type { LayerOf } from '../../../../ir/index.js';
import type { MiscOperation } from '../../isa/index.js';
import type { Step } from '../../../../ir/steps.js';
import { bytesOf, dtypeBits } from '../../../../dtype.js';
import { ceilDiv, formatShape, LayerIssues, shape3 } from './common.js';
import { matrixRate, tensorRatio, transferRatio, vectorRate, weightStreamBits } from './precision.js';

/** A linear layer's dimensions and options: output [M, N] = input [M, K] × weight [K, N]. */
export interface LinearShape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly mBlocks: number;
  readonly kBlocks: number;
  readonly nBlocks: number;
  readonly bias: boolean;
  readonly relu: boolean;
  /** Weights stored as sparse blocks with FSB and metadata streams (`mask_mode: fsb`). */
  readonly sparseStreams: boolean;
  /** The engine skips pruned weights (`sparse_flag` of the weight). */
  readonly sparseCompute: boolean;
  /** Fraction of weights kept. */
  readonly sparseRatio: number;
  /** Bandwidth multiplier of weight loads: narrower streamed weights and skipped pruned ones. */
  readonly weightBandwidthRatio: number;
  /** Bandwidth multipliers of the input activations and of the output, from their dtypes. */
  readonly inputRatio: number;
  readonly outputRatio: number;
  /** Bytes of the whole bias vector. */
  readonly biasBytes: number;
  /** Matrix-engine throughput for input × weight, and vector-engine throughput for fused work on the output. */
  readonly matrixRate: number;
  readonly vectorRate: number;
  readonly address: { readonly input: number; readonly output: number; readonly weight: number; readonly bias: number; readonly meta: number; readonly fsb: number };
  readonly fusion: LinearFusion;
}

/** What runs in the vector engine right after each output tile. */
export type LinearFusion =
  | { readonly kind: 'none' }
  | { readonly kind: 'silu' }
  | { readonly kind: 'eltwise'; readonly operation: MiscOperation; readonly chain: 1 | 3; readonly otherInputAddress: number; readonly otherInputRatio: number };

/** Validates a linear step and extracts its shape; issues when it breaks a rule. */
export function linearShape(step: Step, hw: FlightLlmHardware, mode: 'mm' | 'mv'): LinearShape | LayerIssues {
  const layer = step.layer as LayerOf<'linear_mm'> | LayerOf<'linear_mv'>;
  const issues = new LayerIssues(step);
  const block = hw.sparsity.blockSize;
  const input = shape3(layer.input[0]);
  const output = shape3(layer.output[0]);
  const weight = shape3(layer.param[0]);
  issues.require(layer.input.length === 1 && input !== undefined && input[0] === 1, 'input', () => `expected one input of shape [1, M, K], got ${layer.input.length} with shape ${formatShape(layer.input[0]?.shape)}`);
  issues.require(layer.output.length === 1 && output !== undefined, 'output', () => `expected one output of shape [1, M, N], got ${formatShape(layer.output[0]?.shape)}`);
  issues.require(weight !== undefined && weight[0] === 1, 'param[0]', () => `expected a weight of shape [1, K, N], got ${formatShape(layer.param[0]?.shape)}`);
  if (issues.list.length > 0 || input === undefined || output === undefined || weight === undefined) return issues;
  const [, m, k] = input;
  const n = weight[2];
  issues.require(weight[1] === k, 'param[0].shape', () => `weight rows (${weight[1]}) must equal the input's K (${k})`);
  issues.require(output[1] === m && output[2] === n, 'output[0].shape', () => `expected [1, ${m}, ${n}] (M of the input, N of the weight), got ${formatShape(output)}`);
  issues.require(k % block === 0, 'param[0].shape', () => `K = ${k} must be a multiple of the block size ${block}`);
  issues.require(n % block === 0, 'param[0].shape', () => `N = ${n} must be a multiple of the block size ${block}`);
  // The MV engine runs several rows one after another (a batched step); the MM engine needs more than one.
  if (mode === 'mm') issues.require(m > 1, 'input[0].shape', () => `a matrix-matrix layer needs M > 1, got ${m}`);
  const { bias_flag: bias, relu_flag: relu, mask_mode } = layer.structure;
  const sparseStreams = mask_mode === 'fsb';
  const expectedParams = 1 + (bias ? 1 : 0) + (sparseStreams ? 2 : 0);
  issues.require(layer.param.length === expectedParams, 'param', () => `expected ${expectedParams} parameters (weight${bias ? ', bias' : ''}${sparseStreams ? ', meta, fsb' : ''}), got ${layer.param.length}`);
  if (bias) issues.require(sameShape(layer.param[1]?.shape, [1, 1, n]), 'param[1].shape', () => `the bias must have shape [1, 1, ${n}], got ${formatShape(layer.param[1]?.shape)}`);
  const weightParam = layer.param[0]!;
  const sparseCompute = weightParam.sparse_flag ?? false;
  const sparseRatio = weightParam.sparse_ratio ?? 1;
  issues.require(sparseCompute ? sparseRatio < 1 : sparseRatio === 1, 'param[0].sparse_ratio', sparseCompute ? `a sparse weight must keep less than all of its values, got ${sparseRatio}` : `a dense weight (sparse_flag false) must have sparse_ratio 1, got ${sparseRatio}`);
  const biasBytes = bias ? bytesOf(n, dtypeBits(layer.param[1]!.dtype)) : 0;
  const biasCapacity = hw.buffers.bias.depthWords * hw.buffers.bias.widthBytes;
  issues.require(biasBytes <= biasCapacity, 'param[1].shape', () => `N = ${n} biases (${biasBytes} bytes) do not fit in the bias buffer (${biasCapacity} bytes)`);
  const fusion = linearFusion(step, issues, { m, n, block });
  const precision = linearPrecision(layer, { hw, fused: fusion.kind !== 'none', sparseRatio, issues });
  if (issues.list.length > 0) return issues;
  return {
    m,
    k,
    n,
    mBlocks: ceilDiv(m, block),
    kBlocks: k / block,
    nBlocks: n / block,
    bias,
    relu,
    sparseStreams,
    sparseCompute,
    sparseRatio,
    ...precision,
    biasBytes,
    address: linearAddresses(layer, { bias, sparseStreams }),
    fusion,
  };
}

/** Bandwidth multipliers and engine rates from the layer's dtypes. */
function linearPrecision(
  layer: LayerOf<'linear_mm'> | LayerOf<'linear_mv'>,
  c: { hw: FlightLlmHardware; fused: boolean; sparseRatio: number; issues: LayerIssues },
): Pick<LinearShape, 'weightBandwidthRatio' | 'inputRatio' | 'outputRatio' | 'matrixRate' | 'vectorRate'> {
  const weight = layer.param[0]!;
  return {
    weightBandwidthRatio: transferRatio(weightStreamBits(weight, c.hw)) / c.sparseRatio,
    inputRatio: tensorRatio(layer.input[0]!),
    outputRatio: tensorRatio(layer.output[0]!),
    matrixRate: matrixRate(c.hw, { a: layer.input[0]!.dtype, b: weight.dtype }, c.issues, 'param[0].dtype'),
    vectorRate: c.fused ? vectorRate(c.hw, layer.output[0]!.dtype, c.issues, 'output[0].dtype') : 1,
  };
}

/** HBM addresses of the operands; the optional parameters follow the weight in the order bias, meta, fsb. */
function linearAddresses(layer: LayerOf<'linear_mm'> | LayerOf<'linear_mv'>, has: { bias: boolean; sparseStreams: boolean }): LinearShape['address'] {
  const param = (index: number) => layer.param[index]?.addr ?? 0;
  const firstOptional = has.bias ? 2 : 1;
  return {
    input: layer.input[0]!.addr,
    output: layer.output[0]!.addr,
    weight: param(0),
    bias: has.bias ? param(1) : 0,
    meta: has.sparseStreams ? param(firstOptional) : 0,
    fsb: has.sparseStreams ? param(firstOptional + 1) : 0,
  };
}

function linearFusion(step: Step, issues: LayerIssues, dims: { m: number; n: number; block: number }): LinearFusion {
  const first = step.fused[0];
  if (first === undefined) return { kind: 'none' };
  const fusedIssues = new LayerIssues(step, step.irIndex + 1, first);
  const shape = shape3(first.input[0]);
  if (first.type === 'silu') {
    fusedIssues.require(sameShape(shape, [1, dims.m, dims.n]), 'input[0].shape', () => `a SiLU fused after the linear layer must have shape [1, ${dims.m}, ${dims.n}], got ${formatShape(shape)}`);
    issues.list.push(...fusedIssues.list);
    return { kind: 'silu' };
  }
  const eltwise = first as LayerOf<'eltwise'>;
  fusedIssues.require(shape !== undefined && shape[0] * shape[1] * shape[2] === dims.m * dims.n, 'input[0].shape', () => `an element-wise layer fused after the linear layer must hold its ${dims.m} × ${dims.n} outputs, got ${formatShape(shape)}`);
  fusedIssues.require(shape !== undefined && shape[2] % dims.block === 0, 'input[0].shape', () => `the last dimension must be a multiple of the block size ${dims.block}, got ${formatShape(shape)}`);
  issues.list.push(...fusedIssues.list);
  const other = eltwise.input[1];
  return { kind: 'eltwise', operation: eltwise.structure.eltwise_type, chain: step.fused.length === 3 ? 3 : 1, otherInputAddress: other?.addr ?? 0, otherInputRatio: other === undefined ? 1 : tensorRatio(other) };
}

function sameShape(shape: readonly number[] | undefined, expected: readonly number[]): boolean {
  return shape !== undefined && shape.length === expected.length && shape.every((value, index) => value === expected[index]);
}

/** The shape without its HBM addresses, for a plan signature. */
export function shapeWithoutAddresses(shape: LinearShape): object {
  const fusion = shape.fusion.kind === 'eltwise' ? { ...shape.fusion, otherInputAddress: undefined } : shape.fusion;
  return { ...shape, address: undefined, fusion };
}
