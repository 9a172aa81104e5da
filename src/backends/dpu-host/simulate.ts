import { dtypeBits } from '../../dtype.js';
import { IrError, type Issue } from '../../errors.js';
import { layerLabel } from '../../ir/steps.js';
import { declaredBatch, type Ir, type Layer, type LayerOf, type LayerType, type Tensor } from '../../ir/index.js';
import type { ModuleFigures, Profile, StepProfile, TraceCallback } from '../profile.js';
import { weightBitsPerElement } from '../../compiler/target.js';
import type { DpuHostHardware } from './schema.js';
import { dpuHostTarget } from './target.js';

/*
 * A DPU card beside a host CPU, modelled operator by operator. Linear layers
 * run on the DPU as INT8 1×1 convolutions: the weights stream from the
 * kernel's own DDR channels while the engine computes, so a call takes the
 * longer of the two plus a fixed call cost. Everything the DPU cannot run
 * (attention products, softmax, norms, element-wise ops, SiLU, the KV-cache
 * append, sampling) runs on the host, bound by its memory bandwidth or its
 * arithmetic. A tensor crosses PCIe whenever the other side reads it: each
 * part of it that a layer reads (one sequence's rows, in a batched step)
 * crosses once. One operation runs at a time, so nothing overlaps.
 *
 * A batched step (its input layer declares its sequences) spreads its rows
 * over the DPU's batch lanes, one sequence per lane, and samples one token
 * per sequence; FlightLLM's shapes are one sequence on one lane.
 */

export const DPU_HOST_MODULES = ['DPU', 'HOST', 'PCIE'] as const;
const DPU = 0;
const HOST = 1;
const PCIE = 2;

type Side = 'card' | 'host';

/** Where a layer type runs and what one layer of it costs there. */
interface Operation<T extends LayerType> {
  readonly on: Side;
  cost(layer: LayerOf<T>, costs: Costs): number;
}

const MS_PER_SECOND = 1e3;
const MS_PER_US = 1e-3;
const elementsOf = (tensor: Tensor) => tensor.shape.reduce((product, size) => product * size, 1);

/** Costs of the two sides, from the hardware description. */
class Costs {
  private readonly kernelBytesPerSecond: number;
  /** Bytes of one element in the host's compute type. */
  readonly hostElementBytes: number;
  /** Bytes sent over PCIe so far. */
  transferredBytes = 0;

  constructor(
    readonly hw: DpuHostHardware,
    /** Sequences in the step: each runs on its own batch lane, and each samples a token. */
    readonly sequences: number,
  ) {
    const { ddr } = hw.card;
    this.kernelBytesPerSecond = (ddr.bandwidthGBps * 1e9 * hw.dpu.ddrChannelsPerKernel * ddr.efficiency) / ddr.channels;
    this.hostElementBytes = dtypeBits(hw.host.computeDtype) / 8;
  }

  /**
   * One DPU call: weights streamed, MACs at the rate of the lanes in use
   * (M rows fill at most `pixels` of each), whichever is longer.
   */
  linear(layer: LayerOf<'linear_mm'> | LayerOf<'linear_mv'>): number {
    const { dpu } = this.hw;
    const weight = layer.param[0]!;
    const [, k, n] = weight.shape as [number, number, number];
    const m = layer.input[0]!.shape[1]!;
    // The DPU has no sparse mode: pruned weights are stored and multiplied densely.
    const streamMs = ((k * n * weightBitsPerElement(weight, dpuHostTarget(this.hw))) / 8 / this.kernelBytesPerSecond) * MS_PER_SECOND;
    const parallelRows = Math.min(m, dpu.conv.pixels * Math.min(this.sequences, dpu.batchLanes));
    const macsPerSecond = dpu.conv.inputChannels * dpu.conv.outputChannels * parallelRows * dpu.clockMHz * 1e6 * dpu.efficiency;
    const computeMs = ((m * k * n) / macsPerSecond) * MS_PER_SECOND;
    return dpu.callOverheadUs * MS_PER_US + Math.max(streamMs, computeMs);
  }

  /** A host operator moving `bytes` through memory and doing `flops` of arithmetic. */
  host(work: { bytes: number; flops: number }): number {
    const { host } = this.hw;
    const memoryMs = (work.bytes / (host.memoryBandwidthGBps * 1e9)) * MS_PER_SECOND;
    const computeMs = (work.flops / (host.gflops * 1e9)) * MS_PER_SECOND;
    return host.opOverheadUs * MS_PER_US + Math.max(memoryMs, computeMs);
  }

  /** Bytes of an activation as the host holds it (its compute type). */
  hostBytes(tensor: Tensor): number {
    return elementsOf(tensor) * this.hostElementBytes;
  }

  /** One PCIe transfer of a tensor at its IR type. */
  transfer(tensor: Tensor): number {
    const { pcie } = this.hw;
    const bytes = (elementsOf(tensor) * dtypeBits(tensor.dtype)) / 8;
    this.transferredBytes += bytes;
    return pcie.latencyUs * MS_PER_US + (bytes / (pcie.bandwidthGBps * 1e9 * pcie.efficiency)) * MS_PER_SECOND;
  }
}

/** Where each layer type runs and what it costs there. */
const OPERATIONS: { [T in LayerType]: Operation<T> } = {
  linear_mm: { on: 'card', cost: (layer, costs) => costs.linear(layer) },
  linear_mv: { on: 'card', cost: (layer, costs) => costs.linear(layer) },
  attention_mm: { on: 'host', cost: (layer, costs) => costs.host(attentionWork(layer, costs)) },
  attention_mv: { on: 'host', cost: (layer, costs) => costs.host(attentionWork(layer, costs)) },
  softmax: { on: 'host', cost: (layer, costs) => elementwise(layer, costs, costs.hw.host.flopsPerElement.softmax) },
  layernorm: { on: 'host', cost: (layer, costs) => elementwise(layer, costs, costs.hw.host.flopsPerElement.layernorm) },
  eltwise: { on: 'host', cost: (layer, costs) => elementwise(layer, costs, costs.hw.host.flopsPerElement.eltwise) },
  silu: { on: 'host', cost: (layer, costs) => elementwise(layer, costs, costs.hw.host.flopsPerElement.silu) },
  // Appending to the host's cache writes the new entries only.
  concat: { on: 'host', cost: (layer, costs) => costs.host({ bytes: (elementsOf(layer.input[1]!) * dtypeBits(layer.output[0]!.dtype)) / 8, flops: 0 }) },
  // Embedding lookup: the rows the step needs.
  input: { on: 'host', cost: (layer, costs) => costs.host({ bytes: layer.output.reduce((sum, tensor) => sum + costs.hostBytes(tensor), 0), flops: 0 }) },
  // Sampling: one row of logits per sequence (the last row of a prompt).
  output: {
    on: 'host',
    cost: (layer, costs) => {
      const vocab = layer.input[0]!.shape.at(-1)!;
      return costs.host({ bytes: costs.sequences * vocab * costs.hostElementBytes, flops: costs.sequences * vocab * costs.hw.host.flopsPerElement.sampling });
    },
  },
};

/** Q (or the scores) in the host's type against the KV cache as stored: 2 flops per multiply-accumulate. */
function attentionWork(layer: LayerOf<'attention_mm'> | LayerOf<'attention_mv'>, costs: Costs): { bytes: number; flops: number } {
  const [a, cache] = [layer.input[0]!, layer.input[1]!];
  const [heads, m, k] = a.shape as [number, number, number];
  const bytes = costs.hostBytes(a) + (elementsOf(cache) * dtypeBits(cache.dtype)) / 8 + costs.hostBytes(layer.output[0]!);
  return { bytes, flops: 2 * heads * m * k * cache.shape[2]! };
}

function elementwise(layer: Layer, costs: Costs, flopsPerElement: number): number {
  const bytes = [...layer.input, ...layer.output].reduce((sum, tensor) => sum + costs.hostBytes(tensor), 0);
  return costs.host({ bytes, flops: elementsOf(layer.input[0]!) * flopsPerElement });
}

export interface DpuHostOptions {
  readonly trace?: TraceCallback | undefined;
  readonly file?: string | undefined;
  /** Tensors produced outside this IR, with the producing layer's type: they start on that layer's side. */
  readonly producedOutside?: ReadonlyMap<string, LayerType> | undefined;
}

/** Simulates an IR on a DPU card and its host. */
export function simulateDpuHost(ir: Ir, hw: DpuHostHardware, options: DpuHostOptions = {}): Profile {
  const issues = checkPrecision(ir, hw);
  if (issues.length > 0) throw new IrError({ what: `${hw.dpu.name} cannot run this IR`, file: options.file, issues });
  const costs = new Costs(hw, declaredBatch(ir)?.sequences.length ?? 1);
  const timeline = new Timeline(options.trace);
  const placement = new Placement(options.producedOutside);
  ir.forEach((layer, index) => {
    const operation = OPERATIONS[layer.type] as Operation<LayerType>;
    timeline.beginStep(index, layer);
    for (const tensor of layer.input) if (placement.needsTransfer(tensor, operation.on)) timeline.run(PCIE, costs.transfer(tensor));
    timeline.run(operation.on === 'card' ? DPU : HOST, operation.cost(layer as LayerOf<LayerType>, costs));
    for (const tensor of layer.output) placement.produced(tensor, operation.on);
    timeline.endStep();
  });
  return { ...timeline.profile(), interconnectBytes: costs.transferredBytes };
}

/**
 * Where each tensor lives: on the side that produced it. Tensors from
 * outside the IR (the KV cache of earlier steps, the prompt) live on the
 * host unless a layer outside the IR produced them on the card. A part of a
 * tensor read on the other side crosses PCIe once.
 */
class Placement {
  private readonly home = new Map<string, Side>();
  private readonly copied = new Map<string, Set<string>>();

  constructor(outside: ReadonlyMap<string, LayerType> | undefined) {
    for (const [name, type] of outside ?? []) this.home.set(name, OPERATIONS[type].on);
  }

  produced(tensor: Tensor, side: Side): void {
    this.home.set(tensor.name, side);
    this.copied.delete(tensor.name);
  }

  /** Whether reading the tensor on `side` moves it there (and records the copy). */
  needsTransfer(tensor: Tensor, side: Side): boolean {
    if ((this.home.get(tensor.name) ?? 'host') === side) return false;
    const part = `${side} ${tensor.addr} ${elementsOf(tensor)}`;
    const copies = this.copied.get(tensor.name) ?? new Set<string>();
    this.copied.set(tensor.name, copies);
    if (copies.has(part)) return false;
    copies.add(part);
    return true;
  }
}

/** The DPU computes in the types its description lists; every linear layer must use them. */
function checkPrecision(ir: Ir, hw: DpuHostHardware): Issue[] {
  const issues: Issue[] = [];
  const { weights, activations } = hw.dpu.precision;
  ir.forEach((layer, index) => {
    if (layer.type !== 'linear_mm' && layer.type !== 'linear_mv') return;
    const [input, weight] = [layer.input[0]!, layer.param[0]!];
    const label = layerLabel(index, layer);
    if (!activations.includes(input.dtype)) issues.push({ path: `${label}.input[0].dtype`, message: `${hw.dpu.name} takes ${activations.join(' or ')} activations, got ${input.dtype}` });
    if (!weights.includes(weight.dtype)) issues.push({ path: `${label}.param[0].dtype`, message: `${hw.dpu.name} takes ${weights.join(' or ')} weights, got ${weight.dtype}` });
  });
  return issues;
}

/** Operations one after another, with per-module and per-step totals. */
class Timeline {
  private nowMs = 0;
  private readonly totals = DPU_HOST_MODULES.map(() => ({ count: 0, busyMs: 0 }));
  private readonly steps: StepProfile[] = [];
  private step: { index: number; name: string; type: string; startMs: number; modules: Array<{ count: number; busyMs: number }> } | undefined;

  constructor(private readonly trace: TraceCallback | undefined) {}

  beginStep(index: number, layer: Layer): void {
    this.step = { index, name: layer.name, type: layer.type, startMs: this.nowMs, modules: DPU_HOST_MODULES.map(() => ({ count: 0, busyMs: 0 })) };
  }

  run(module: number, ms: number): void {
    const step = this.step!;
    this.trace?.(module, step.index, this.nowMs, this.nowMs + ms);
    this.nowMs += ms;
    for (const figures of [this.totals[module]!, step.modules[module]!]) {
      figures.count++;
      figures.busyMs += ms;
    }
  }

  endStep(): void {
    const step = this.step!;
    this.steps.push({ index: step.index, irIndex: step.index, name: step.name, type: step.type, startMs: step.startMs, endMs: this.nowMs, modules: byName(step.modules) });
    this.step = undefined;
  }

  profile(): Profile {
    const instructionCount = this.totals.reduce((sum, figures) => sum + figures.count, 0);
    return { totalMs: this.nowMs, instructionCount, moduleNames: DPU_HOST_MODULES, modules: byName(this.totals), steps: this.steps };
  }
}

function byName(figures: ReadonlyArray<ModuleFigures>): Record<string, ModuleFigures> {
  return Object.fromEntries(DPU_HOST_MODULES.map((name, index) => [name, figures[index]!]));
}
