import { dtypeBits, type Dtype } from '../../dtype.js';
import { IrError } from '../../errors.js';
import { planSteps, stepName, type Step } from '../../ir/steps.js';
import { causalAttentionMacs, type Ir, type Layer, type Tensor } from '../../ir/index.js';
import type { ModuleFigures, Profile, StepProfile, TraceCallback } from '../profile.js';
import { weightBitsPerElement, type LoweringTarget } from '../../compiler/target.js';
import type { RooflineHardware } from './schema.js';
import { rooflineTarget } from './target.js';
import { gemmUtilisation, type GemmShape } from './waves.js';

/*
 * A GPU or ASIC, kernel by kernel. Kernels are the steps FlightLLM's fusion
 * forms (a projection with its rotary embedding, SiLU or residual add; an
 * attention product with its softmax), as the fused kernels of vLLM's GPU
 * backends run them; QKᵀ and S·V of one attention are one kernel whose
 * scores never leave the chip (FlashAttention, PagedAttention). A kernel
 * takes its launch cost plus the longer of its memory time and its compute
 * time; kernels run one after another. A projection's compute time counts
 * the multiprocessors its output tiles leave idle (./waves.ts) where the
 * board names them.
 */

export const ROOFLINE_MODULES = ['COMPUTE', 'MEMORY', 'LAUNCH', 'DEQUANT', 'HOST'] as const;
const [COMPUTE, MEMORY, LAUNCH, DEQUANT, HOST] = [0, 1, 2, 3, 4];

export type OperatorClass = 'linear' | 'attention' | 'vector';

/** One kernel's work: what its time follows from. */
export interface Kernel {
  readonly class: OperatorClass;
  readonly bytes: number;
  /** Operations (a multiply-accumulate is two) by the type they multiply in. */
  readonly ops: number;
  readonly dtype: Dtype;
  /**
   * A layer's attention kernels serve every sequence of the step in one
   * launch (vLLM's reshape_and_cache appends every sequence's keys and
   * values; one paged-attention kernel, QKᵀ and S·V fused, serves every
   * sequence). Their launches are not charged one by one: the per-kernel
   * launch cost, fitted by calibration over the layer's other kernels,
   * carries them, so a step's cost stays the sum of its sequences' parts.
   * Routed experts after a layer's first run in the grouped kernels the
   * first launched (fused MoE). Undefined: a kernel of its own, with its
   * own launch.
   */
  readonly batched?: 'append' | 'attention' | 'experts' | undefined;
  /**
   * A weight-only projection (weights narrower than the type it multiplies
   * in): the weight elements it widens, and the quantisation groups whose
   * scales and zero points it applies (board `dequantization`).
   */
  readonly widened?: { readonly elements: number; readonly groups: number } | undefined;
  /**
   * The step's last kernel (the head, whose logits are sampled) carries the
   * host's time between steps (board `stack`): once per step, and once per
   * sequence sampled.
   */
  readonly sampledSequences?: number | undefined;
  /**
   * A projection's GEMM as its output tiles see it (board `gemmTile`): its
   * own shape and those of the step's other projections that read the same
   * input (q, k and v; gate and up), which GPU stacks run as one GEMM whose
   * tiles share the waves (vLLM's qkv_proj and gate_up_proj, TensorRT-LLM's
   * fused QKV). Undefined for other kernels, and for routed experts: a
   * fused-MoE launch deals every expert's tiles out together, so one
   * expert's tiles alone do not say how full its waves are.
   */
  readonly gemm?: readonly GemmShape[] | undefined;
  /** A routed expert's projection (board `efficiency.experts`). */
  readonly routedExpert?: boolean | undefined;
}

const MS_PER_SECOND = 1e3;
const elementsOf = (tensor: Tensor) => tensor.shape.reduce((product, size) => product * size, 1);
const bytesOf = (tensor: Tensor) => (elementsOf(tensor) * dtypeBits(tensor.dtype)) / 8;

export interface RooflineOptions {
  readonly trace?: TraceCallback | undefined;
  readonly file?: string | undefined;
}

/** The kernels an IR runs, in order, with the plan's steps they come from. */
export function rooflineKernels(ir: Ir, hw: RooflineHardware, options: { file?: string | undefined } = {}): { steps: Step[]; kernels: Kernel[] } {
  const { steps, issues } = planSteps(ir);
  if (issues.length > 0) throw new IrError({ what: 'the IR cannot run on this hardware', file: options.file, issues });
  const target = rooflineTarget(hw);
  // Latent attention's S·V reads the cached vectors its QKᵀ just read: they are on chip already.
  const keysRead = new Set<string>();
  const kernels = withFusedGemms(steps.map((step) => kernelOf(step, target, keysRead)), steps);
  // The head's logits are sampled: the IR that holds the output marker is a whole step (or its head part).
  const last = kernels.length - 1;
  if (last >= 0 && ir.some((layer) => layer.type === 'output') && steps[last]!.layer.type.startsWith('linear')) {
    kernels[last] = { ...kernels[last]!, sampledSequences: steps[last]!.layer.input[0]!.shape[1]! };
  }
  return { steps, kernels };
}

/** Each projection's GEMM joined with those of the projections that read the same input (see Kernel.gemm). */
function withFusedGemms(kernels: Kernel[], steps: readonly Step[]): Kernel[] {
  const byInput = new Map<string, GemmShape[]>();
  const inputOf = (index: number) => steps[index]!.layer.input[0]!.name;
  kernels.forEach((kernel, index) => {
    if (kernel.gemm !== undefined) byInput.set(inputOf(index), [...(byInput.get(inputOf(index)) ?? []), ...kernel.gemm]);
  });
  return kernels.map((kernel, index) => (kernel.gemm === undefined ? kernel : { ...kernel, gemm: byInput.get(inputOf(index))! }));
}

/** Time of a sequence of kernels, ms (see `kernelMs`). */
export function kernelsMs(kernels: readonly Kernel[], hw: RooflineHardware): number {
  let totalMs = 0;
  for (const kernel of kernels) totalMs += kernelMs(times(kernel, hw));
  return totalMs;
}

/**
 * A kernel's time from its parts: its launch, the longer of its memory and
 * compute times, the widening of narrow weights (not hidden behind their
 * loads: the widened values feed the multiplications), and the host's time
 * after it where it ends a step.
 */
function kernelMs(busy: readonly number[]): number {
  return busy[LAUNCH]! + Math.max(busy[COMPUTE]!, busy[MEMORY]!) + busy[DEQUANT]! + busy[HOST]!;
}


export function simulateRoofline(ir: Ir, hw: RooflineHardware, options: RooflineOptions = {}): Profile {
  const { steps, kernels } = rooflineKernels(ir, hw, options);
  const totals = ROOFLINE_MODULES.map(() => ({ count: 0, busyMs: 0 }));
  const profiles: StepProfile[] = [];
  let nowMs = 0;
  steps.forEach((step, index) => {
    const busy = times(kernels[index]!, hw);
    const startMs = nowMs;
    nowMs += kernelMs(busy);
    const modules = busy.map((ms) => ({ count: ms > 0 ? 1 : 0, busyMs: ms }));
    modules.forEach((figures, index) => {
      totals[index]!.count += figures.count;
      totals[index]!.busyMs += figures.busyMs;
    });
    options.trace?.(busy[COMPUTE]! >= busy[MEMORY]! ? COMPUTE : MEMORY, step.index, startMs, nowMs);
    profiles.push({ index: step.index, irIndex: step.irIndex, name: stepName(step), type: step.layer.type, startMs, endMs: nowMs, modules: byName(modules) });
  });
  const instructionCount = totals[LAUNCH]!.count;
  return { totalMs: nowMs, instructionCount, moduleNames: ROOFLINE_MODULES, modules: byName(totals), steps: profiles };
}

/** Compute, memory, launch, widening and host time of a kernel, ms (in ROOFLINE_MODULES order). */
function times(kernel: Kernel, hw: RooflineHardware): number[] {
  const computeMs = computeTimeMs(kernel, hw, computeEfficiency(kernel, hw) * gemmUtilisation(kernel.gemm, hw));
  const memoryMs = (kernel.bytes / (hw.memory.bandwidthGBps * 1e9 * memoryEfficiency(kernel, hw))) * MS_PER_SECOND;
  const launchMs = kernel.batched === undefined ? hw.kernelLaunchUs * 1e-3 : 0;
  return [computeMs, memoryMs, launchMs, widenMs(kernel, hw), hostMs(kernel, hw)];
}

/* The fractions of the peaks a kernel sustains: its class's (an FP8 projection's own where the board states it), a routed expert's where the board states them apart (no object per kernel: this runs for every kernel of every step). */
function computeEfficiency(kernel: Kernel, hw: RooflineHardware): number {
  const own = hw.efficiency[kernel.class];
  if (!('compute' in own)) return 1;
  const compute = kernel.dtype === 'fp8' && 'fp8Compute' in own ? (own.fp8Compute ?? own.compute) : own.compute;
  return kernel.routedExpert === true ? (hw.efficiency.experts?.compute ?? compute) : compute;
}

function memoryEfficiency(kernel: Kernel, hw: RooflineHardware): number {
  const memory = hw.efficiency[kernel.class].memory;
  return kernel.routedExpert === true ? (hw.efficiency.experts?.memory ?? memory) : memory;
}

/** A kernel's operations at the peak for its type times `share` (efficiency and utilisation), ms. */
function computeTimeMs(kernel: Kernel, hw: RooflineHardware, share: number): number {
  const peak = hw.compute.peakTops[kernel.dtype];
  if (kernel.ops === 0) return 0;
  return peak === undefined ? Infinity : (kernel.ops / (peak * 1e12 * share)) * MS_PER_SECOND;
}

/** Widening a weight-only kernel's weights on the vector cores, ms; 0 where the board describes no such cost. */
function widenMs(kernel: Kernel, hw: RooflineHardware): number {
  const cost = hw.dequantization;
  if (kernel.widened === undefined || cost === undefined) return 0;
  const ops = kernel.widened.elements * cost.opsPerElement + kernel.widened.groups * cost.opsPerGroup;
  const vectorTops = hw.compute.vectorTops;
  if (vectorTops === undefined) return ops === 0 ? 0 : Infinity;
  return (ops / (vectorTops * 1e12)) * MS_PER_SECOND;
}

/** The stack's host time after a step's last kernel, ms. */
function hostMs(kernel: Kernel, hw: RooflineHardware): number {
  const stack = hw.stack;
  if (kernel.sampledSequences === undefined || stack === undefined) return 0;
  return (stack.stepUs + stack.sequenceUs * kernel.sampledSequences) * 1e-3;
}

function kernelOf(step: Step, target: LoweringTarget, keysRead: Set<string>): Kernel {
  const layer = step.layer;
  if (layer.type === 'linear_mm' || layer.type === 'linear_mv') return linearKernel(step, target);
  if (layer.type === 'attention_mm' || layer.type === 'attention_mv') return attentionKernel(layer, { scores: step.fused.length > 0, keysRead });
  // The KV-cache append writes the new entries in place.
  if (layer.type === 'concat') return { class: 'vector', bytes: bytesOf(layer.input[1]!), ops: 0, dtype: layer.input[1]!.dtype, batched: 'append' };
  return { class: 'vector', bytes: [...step.fused, layer].reduce((sum, l) => sum + ioBytes(l), 0), ops: 0, dtype: layer.input[0]!.dtype };
}

/**
 * Weights (dense: pruned ones are not skipped; one matrix per group where
 * the weight holds several, latent attention's per-head products), bias,
 * input rows, and the fused layers' other operands and final output.
 */
function linearKernel(step: Step, target: LoweringTarget): Kernel {
  const layer = step.layer as Extract<Layer, { type: 'linear_mm' | 'linear_mv' }>;
  const weight = layer.param[0]!;
  const [groups, k, n] = weight.shape as [number, number, number];
  const input = layer.input[0]!;
  const m = input.shape[1]!;
  const weightBytes = (groups * k * n * weightBitsPerElement(weight, target)) / 8;
  const biasBytes = layer.param.slice(1).reduce((sum, p) => sum + bytesOf(p), 0);
  const produced = new Set([layer, ...step.fused].flatMap((l) => l.output.map((t) => t.name)));
  const operands = step.fused.flatMap((l) => l.input).filter((t) => !produced.has(t.name));
  const last = (step.fused.at(-1) ?? layer).output[0]!;
  const slot = layer.structure.expert_slot;
  const batched = slot !== undefined && slot > 0 ? ('experts' as const) : undefined;
  const widened = dtypeBits(weight.dtype) < dtypeBits(input.dtype) ? { elements: groups * k * n, groups: weight.group_size === undefined ? 0 : groups * Math.ceil(k / weight.group_size) * n } : undefined;
  const gemm = slot === undefined ? [{ groups, tokens: m, features: n }] : undefined;
  return { class: 'linear', bytes: weightBytes + biasBytes + bytesOf(input) + operands.reduce((sum, t) => sum + bytesOf(t), 0) + bytesOf(last), ops: 2 * groups * m * k * n, dtype: input.dtype, ...(batched === undefined ? {} : { batched }), ...(slot === undefined ? {} : { routedExpert: true }), widened, gemm };
}

/**
 * QKᵀ (the product whose softmax fuses into it) reads Q and the keys; S·V
 * reads the values and writes the output; the scores stay on chip. A
 * prompt chunk computes the causal triangle only (masked tiles are
 * skipped, as FlashAttention does).
 */
function attentionKernel(layer: Extract<Layer, { type: 'attention_mm' | 'attention_mv' }>, c: { scores: boolean; keysRead: Set<string> }): Kernel {
  // The softmax fused into QKᵀ tells the two products apart.
  const [a, b] = [layer.input[0]!, layer.input[1]!];
  const [heads, m, k] = a.shape as [number, number, number];
  const macs = layer.type === 'attention_mm' ? causalAttentionMacs(layer) : heads * m * k * b.shape[2]!;
  if (c.scores) c.keysRead.add(b.name);
  const values = !c.scores && c.keysRead.has(b.name) ? 0 : bytesOf(b);
  const bytes = c.scores ? bytesOf(a) + bytesOf(b) : values + bytesOf(layer.output[0]!);
  return { class: 'attention', bytes, ops: 2 * macs, dtype: a.dtype, batched: 'attention' };
}

function ioBytes(layer: Layer): number {
  const params = 'param' in layer ? layer.param : [];
  return [...layer.input, ...layer.output, ...params].reduce((sum, t) => sum + bytesOf(t), 0);
}

function byName(figures: ReadonlyArray<ModuleFigures>): Record<string, ModuleFigures> {
  return Object.fromEntries(ROOFLINE_MODULES.map((name, index) => [name, figures[index]!]));
}
