import type { BatchShape } from '../batch.js';
import type { HardwareBackend } from '../backends/index.js';
import { lower, type LayerTag, type LinearEngines, type LoweringParts } from '../compiler/index.js';
import type { Hardware } from '../backends/index.js';
import type { MaskLookup } from '../ir/index.js';
import type { Model } from '../model/index.js';
import { measureStep } from './measure.js';
import { boundComputeIndex, boundMemoryIndex, costLength, dynamicEnergyIndex, FIRST_MODULE, TIME } from './vector.js';

/*
 * A probe simulates one part of a step exactly (the token-wise layers of one
 * transformer layer, one sequence's attention in every layer, the head) and
 * splits its time and module busy times among groups of layers by what they
 * do. Every step of a program ends with a synchronisation, so a part costs
 * the same alone as inside the whole step; the fast cost path adds parts up.
 */

export interface ProbeContext {
  readonly model: Model;
  readonly hardware: Hardware;
  readonly backend: HardwareBackend<Hardware>;
  readonly masks: MaskLookup | undefined;
  /** The longest sequence (FlightLLM's forms lay their KV cache out for it). */
  readonly maxTokens: number;
}

/** Which tags each group of a part sums, the group that carries the part's bound, and tags another part counts. */
export interface PartLayout {
  readonly groups: ReadonlyArray<readonly LayerTag[]>;
  readonly boundGroup: number;
  /** Layers the part's IR holds but another part's cost counts (the input marker, which every part needs). */
  readonly countedElsewhere: readonly LayerTag[];
}

export interface ProbeSpec {
  readonly batch: BatchShape;
  readonly parts: LoweringParts;
  readonly layout: PartLayout;
  readonly linearEngines?: LinearEngines | undefined;
  readonly batchedForm?: boolean | undefined;
}

/** The part's cost vectors, one per group, back to back. */
export function probe(context: ProbeContext, spec: ProbeSpec): Float64Array {
  const { hardware, backend } = context;
  // Lowered directly: a part is not frozen or checked against memory as a whole step is.
  const compiled = lower({ model: context.model, target: backend.target(hardware), batch: spec.batch, maxTokens: context.maxTokens, parts: spec.parts, linearEngines: spec.linearEngines, batchedForm: spec.batchedForm });
  const { profile, bound, dynamicJ } = measureStep(compiled.layers, hardware, { masks: context.masks, producedOutside: compiled.producedOutside });
  const modules = backend.moduleNames;
  const width = costLength(modules.length);
  const out = new Float64Array(spec.layout.groups.length * width);
  const groupOf = groupIndex(spec.layout);
  let previousEnd = 0;
  for (const step of profile.steps) {
    const tag = compiled.tags[step.irIndex]!;
    // Steps run one after another: each owns the time from the previous end to its own.
    const ownMs = step.endMs - previousEnd;
    previousEnd = Math.max(previousEnd, step.endMs);
    if (spec.layout.countedElsewhere.includes(tag)) continue;
    const group = groupOf.get(tag);
    if (group === undefined) throw new Error(`internal: a ${tag} layer has no group in this part`);
    const base = group * width;
    out[base + TIME]! += ownMs;
    modules.forEach((name, index) => (out[base + FIRST_MODULE + index]! += step.modules[name]?.busyMs ?? 0));
  }
  const boundBase = spec.layout.boundGroup * width;
  out[boundBase + boundMemoryIndex(modules.length)] = bound.memoryMs;
  out[boundBase + boundComputeIndex(modules.length)] = bound.computeMs;
  out[boundBase + dynamicEnergyIndex(modules.length)] = dynamicJ;
  return out;
}

function groupIndex(layout: PartLayout): Map<LayerTag, number> {
  const index = new Map<LayerTag, number>();
  layout.groups.forEach((tags, group) => tags.forEach((tag) => index.set(tag, group)));
  return index;
}
