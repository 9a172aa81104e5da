import type { Issue } from '../../../../errors.js';
import type { FlightLlmHardware } from '../../schema.js';
import type { Layer, MaskLookup, Tensor } from '../../../../ir/index.js';
import type { InstructionSink } from '../instructions.js';
import { layerLabel, type Step } from '../../../../ir/steps.js';

/** What a layer generator may consult besides its own step. */
export interface GenerationContext {
  readonly hw: FlightLlmHardware;
  /** Attention masks by parameter name; needed only by prefill attention. */
  readonly masks: MaskLookup | undefined;
  /**
   * The IR is in one of FlightLLM's single-sequence shapes (it declares no
   * batch): behaviours of FlightLLM's generator that fit only those shapes apply.
   */
  readonly flightllmShape: boolean;
}

/** A step whose tiling and dependencies are worked out and that can now emit its instructions. */
export interface PlannedStep {
  emit(sink: InstructionSink): void;
  /**
   * Everything the step's instructions depend on but the hardware (one for a
   * whole program) and HBM addresses (which set no latency): two steps of a
   * program with equal signatures emit the same instructions at different
   * addresses, so a simulator may replay the first one's latencies. Absent
   * where a step cannot promise that.
   */
  readonly signature?: string;
}

/** Plans one step: either a ready-to-emit step or the reasons it cannot run. */
export type StepPlanner = (step: Step, context: GenerationContext) => PlannedStep | Issue[];

/**
 * The signature of a plan held as plain data: its fields as JSON. The
 * planner leaves out the hardware (one for the whole program) and the HBM
 * addresses, setting them to undefined; an address left in costs only
 * replays, never correctness.
 */
export function planSignature(plan: object): string {
  return JSON.stringify(plan);
}

/** ⌈a / b⌉ for non-negative integers. */
export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/**
 * Half-open ranges covering [start, end) in steps of `unit`; the last range
 * may be shorter. tiles(0, 10, 4) = [[0,4], [4,8], [8,10]].
 */
export function tiles(start: number, end: number, unit: number): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  for (let from = start; from < end; from += unit) out.push([from, Math.min(from + unit, end)]);
  return out;
}

/** A group of rows an engine computes together, and whether it opens or closes the layer. */
export interface RowGroup {
  readonly first: number;
  readonly end: number;
  readonly isFirst: boolean;
  readonly isLast: boolean;
}

/** Rows [0, count) in groups of `size` (the last may be shorter). */
export function rowGroups(count: number, size: number): RowGroup[] {
  const ranges = tiles(0, count, size);
  return ranges.map(([first, end], index) => ({ first, end, isFirst: index === 0, isLast: index === ranges.length - 1 }));
}

/** Collects issues about one layer, each prefixed with the layer's label. */
export class LayerIssues {
  readonly list: Issue[] = [];
  private readonly label: string;

  constructor(step: Step, layerIndex: number = step.irIndex, layer: Layer = step.layer) {
    this.label = layerLabel(layerIndex, layer);
  }

  add(field: string, message: string): void {
    this.list.push({ path: field === '' ? this.label : `${this.label}.${field}`, message });
  }

  /** Records an issue unless `holds`; returns `holds`. A message that takes work to build may come as a function, called only when needed. */
  require(holds: boolean, field: string, message: string | (() => string)): boolean {
    if (!holds) this.add(field, typeof message === 'string' ? message : message());
    return holds;
  }
}

/** The shape of a tensor as [batch, rows, cols], or undefined when it is not 3-D. */
export function shape3(tensor: Tensor | undefined): readonly [number, number, number] | undefined {
  return tensor !== undefined && tensor.shape.length === 3 ? (tensor.shape as unknown as readonly [number, number, number]) : undefined;
}

export function formatShape(shape: readonly number[] | undefined): string {
  return shape === undefined ? 'none' : `[${shape.join(', ')}]`;
}
