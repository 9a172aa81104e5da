import type { Issue } from '../errors.js';
import type { Ir, Layer, LayerOf } from './schema.js';

/*
 * Fusion: some layers run inside the instructions of the layer before them.
 * - an attention product followed by the softmax of its output;
 * - a linear layer followed by the SiLU of its output;
 * - a linear layer followed by an element-wise layer reading its output, or
 *   by the three-layer RoPE chain  mul(x, sin), mul(x, cos), add(both).
 * Each resulting step is one hardware "layer": its instructions end with a
 * SYS that synchronises every module before the next step starts.
 */

/** Layer types that produce instructions (everything but the input and output markers). */
export type ComputeLayer = Exclude<Layer, { type: 'input' | 'output' }>;
export type ComputeType = ComputeLayer['type'];

export interface Step {
  /** Position of the step in the program. */
  readonly index: number;
  /** Index of `layer` in the IR. */
  readonly irIndex: number;
  readonly layer: ComputeLayer;
  /** Layers fused into this one, in IR order. */
  readonly fused: readonly Layer[];
}

/** Display name of a step: its layer, plus the layers fused into it. */
export function stepName(step: Step): string {
  return step.fused.length === 0 ? step.layer.name : `${step.layer.name}+${step.fused.map((layer) => layer.name).join('+')}`;
}

/** `layer 12 "round_0_q_proj_layer_0"`: how errors point at a layer. */
export function layerLabel(irIndex: number, layer: Layer): string {
  return `layer ${irIndex} "${layer.name}"`;
}

/**
 * Groups the IR's compute layers into steps. Layers before the first `input`
 * layer and from the last `output` layer on are not run, as in FlightLLM.
 */
export function planSteps(ir: Ir): { steps: Step[]; issues: Issue[] } {
  const { first, end, issues } = computeRange(ir);
  const steps: Step[] = [];
  let index = first;
  while (index < end) {
    const layer = ir[index] as Layer;
    if (layer.type === 'input' || layer.type === 'output') {
      issues.push({ path: layerLabel(index, layer), message: `an ${layer.type} layer may only open or close the IR` });
      index++;
      continue;
    }
    const fused = fusedAfter(ir, index, end);
    steps.push({ index: steps.length, irIndex: index, layer, fused });
    index += 1 + fused.length;
  }
  return { steps, issues };
}

function computeRange(ir: Ir): { first: number; end: number; issues: Issue[] } {
  const inputAt = ir.findIndex((layer) => layer.type === 'input');
  const outputAt = ir.findLastIndex((layer) => layer.type === 'output');
  const first = inputAt === -1 ? 0 : inputAt + 1;
  const end = outputAt === -1 ? ir.length : outputAt;
  const issues: Issue[] = end <= first ? [{ path: '', message: 'the IR has no compute layer between its input and output layers' }] : [];
  return { first, end, issues };
}

/** The layers that fuse into the compute layer at `index` (possibly none). */
function fusedAfter(ir: Ir, index: number, end: number): Layer[] {
  const layer = ir[index] as ComputeLayer;
  const next = index + 1 < end ? ir[index + 1] : undefined;
  if (next === undefined) return [];
  const output = layer.output[0]?.name;
  const reads = (candidate: Layer, name: string | undefined) => candidate.input.some((tensor) => tensor.name === name);
  if (layer.type === 'attention_mm' || layer.type === 'attention_mv') {
    return next.type === 'softmax' && next.input[0]?.name === output ? [next] : [];
  }
  if (layer.type !== 'linear_mm' && layer.type !== 'linear_mv') return [];
  if (next.type === 'silu' && next.input[0]?.name === output) return [next];
  if (next.type !== 'eltwise' || !reads(next, output)) return [];
  const chain = ropeChain(ir, index + 1, end, output);
  return chain ?? [next];
}

/**
 * The RoPE chain starting at `start`: two multiplications of the linear
 * output (by the sine and cosine tables) and the sum of their results.
 */
function ropeChain(ir: Ir, start: number, end: number, source: string | undefined): Layer[] | undefined {
  if (start + 3 > end) return undefined;
  const [mulA, mulB, add] = ir.slice(start, start + 3) as [Layer, Layer, Layer];
  const isMul = (layer: Layer): layer is LayerOf<'eltwise'> => layer.type === 'eltwise' && layer.structure.eltwise_type === 'eltwise_mul';
  if (!isMul(mulA) || !isMul(mulB) || add.type !== 'eltwise' || add.structure.eltwise_type !== 'eltwise_add') return undefined;
  if (mulA.input[0]?.name !== source || mulB.input[0]?.name !== source) return undefined;
  const products = new Set([mulA.output[0]?.name, mulB.output[0]?.name]);
  if (!add.input.every((tensor) => products.has(tensor.name))) return undefined;
  return [mulA, mulB, add];
}
