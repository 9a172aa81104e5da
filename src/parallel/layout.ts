import type { Issue } from '../errors.js';
import { UserError } from '../errors.js';
import type { Hardware } from '../backends/index.js';
import { modelDims, type Model } from '../model/index.js';

/*
 * How a model is spread over cards, under vLLM's names: tensor parallelism
 * splits every layer's heads and FFN over `tensorParallelSize` cards,
 * pipeline parallelism splits the layers into `pipelineParallelSize`
 * stages, data parallelism runs `dataParallelSize` replicas of the whole,
 * and expert parallelism places a mixture of experts' experts on the
 * cards of a replica instead of splitting each expert.
 */

export interface ParallelLayout {
  /** Cards each layer is split over (vLLM's --tensor-parallel-size). */
  readonly tensorParallelSize: number;
  /** Stages the layers are split into, one after another (--pipeline-parallel-size). */
  readonly pipelineParallelSize: number;
  /** Replicas of the whole model, each serving its own requests (--data-parallel-size). */
  readonly dataParallelSize: number;
  /** Experts placed whole on the cards of a replica instead of split (--enable-expert-parallel). */
  readonly enableExpertParallel: boolean;
}

/** One card: today's single-card simulation. */
export const SINGLE_CARD: ParallelLayout = Object.freeze({ tensorParallelSize: 1, pipelineParallelSize: 1, dataParallelSize: 1, enableExpertParallel: false });

/** A layout with every size not given at 1. */
export function parallelLayout(sizes: Partial<ParallelLayout> = {}): ParallelLayout {
  return Object.freeze({ ...SINGLE_CARD, ...Object.fromEntries(Object.entries(sizes).filter(([, value]) => value !== undefined)) });
}

/** Cards of one replica: tensor × pipeline. */
export function replicaCards(layout: ParallelLayout): number {
  return layout.tensorParallelSize * layout.pipelineParallelSize;
}

/** Every card the layout uses: replicas × tensor × pipeline. */
export function totalCards(layout: ParallelLayout): number {
  return replicaCards(layout) * layout.dataParallelSize;
}

/** Whether one replica spans more than one card (communication between cards). */
export function isMultiCard(layout: ParallelLayout): boolean {
  return replicaCards(layout) > 1;
}

/** The option names a user writes, for messages. */
const OPTION: Readonly<Record<keyof ParallelLayout, string>> = {
  tensorParallelSize: 'tensor-parallel-size',
  pipelineParallelSize: 'pipeline-parallel-size',
  dataParallelSize: 'data-parallel-size',
  enableExpertParallel: 'enable-expert-parallel',
};

/**
 * Every reason the layout cannot run this model on this board: sizes that
 * are not positive integers, heads or FFN columns that do not split evenly,
 * more stages than layers, more cards than the board's links join, or
 * several cards on a board without an interconnect.
 */
export function checkLayout(layout: ParallelLayout, model: Model, hardware: Hardware): Issue[] {
  const issues: Issue[] = [];
  for (const key of ['tensorParallelSize', 'pipelineParallelSize', 'dataParallelSize'] as const) {
    const value = layout[key];
    if (!Number.isInteger(value) || value < 1) issues.push({ path: OPTION[key], message: `expected a positive integer, got ${value}` });
  }
  if (issues.length > 0) return issues;
  issues.push(...checkTensorSplit(layout.tensorParallelSize, model), ...checkExpertSplit(layout, model));
  const d = modelDims(model);
  if (layout.pipelineParallelSize > d.layers) issues.push({ path: OPTION.pipelineParallelSize, message: `${layout.pipelineParallelSize} stages for ${d.layers} layers: each stage needs at least one layer` });
  if (layout.enableExpertParallel && d.experts === undefined) issues.push({ path: OPTION.enableExpertParallel, message: `${model.displayName ?? model.name} has no experts to place: expert parallelism needs a mixture-of-experts model` });
  issues.push(...checkLinks(layout, hardware));
  return issues;
}

/** Heads, key/value heads and the FFN must split evenly over the tensor-parallel cards. */
function checkTensorSplit(tp: number, model: Model): Issue[] {
  if (tp === 1) return [];
  const d = modelDims(model);
  const path = OPTION.tensorParallelSize;
  const issues: Issue[] = [];
  if (d.heads % tp !== 0) issues.push({ path, message: `${tp} cards do not divide the ${d.heads} attention heads` });
  if (d.kvHeads % tp !== 0 && tp % d.kvHeads !== 0) issues.push({ path, message: `${tp} cards and the ${d.kvHeads} key/value heads must divide one another (split, or replicated when fewer than cards)` });
  if (d.intermediate % tp !== 0) issues.push({ path, message: `${tp} cards do not divide the FFN's ${d.intermediate} columns (intermediate_size)` });
  return issues;
}

/**
 * A mixture of experts splits over the cards too: every expert's columns,
 * or, with expert parallelism, whole experts and each token's top-k choices
 * (so that a card's share keeps the probability k / E that a token picks
 * one of its experts).
 */
function checkExpertSplit(layout: ParallelLayout, model: Model): Issue[] {
  const tp = layout.tensorParallelSize;
  const x = modelDims(model).experts;
  if (tp === 1 || x === undefined) return [];
  const issues: Issue[] = [];
  const path = layout.enableExpertParallel ? OPTION.enableExpertParallel : OPTION.tensorParallelSize;
  if (x.shared > 0 && x.sharedIntermediate % tp !== 0) issues.push({ path: OPTION.tensorParallelSize, message: `${tp} cards do not divide the shared experts' ${x.sharedIntermediate} columns` });
  if (!layout.enableExpertParallel) {
    if (x.intermediate % tp !== 0) issues.push({ path, message: `${tp} cards do not divide each expert's ${x.intermediate} columns (moe_intermediate_size)` });
    return issues;
  }
  if (x.routed % tp !== 0) issues.push({ path, message: `${tp} cards do not hold an equal share of the ${x.routed} routed experts` });
  if (x.topK % tp !== 0) issues.push({ path, message: `${tp} cards do not divide the ${x.topK} experts each token picks (top-k): a card's share of them would not be whole` });
  return issues;
}

function checkLinks(layout: ParallelLayout, hardware: Hardware): Issue[] {
  const cards = replicaCards(layout);
  if (cards === 1) return [];
  const link = hardware.interconnect;
  if (link === undefined) return [{ path: 'interconnect', message: `${hardware.name} describes no links to other cards (no interconnect section), so a replica cannot span ${cards} cards` }];
  if (link.algorithm === 'tree' && link.topology === 'ring') return [{ path: 'interconnect.algorithm', message: `a tree all-reduce needs every card linked to every other; ${hardware.name}'s ${link.link} is a ring` }];
  if (cards > link.maxCards) return [{ path: 'interconnect.maxCards', message: `a replica of ${cards} cards (tensor ${layout.tensorParallelSize} × pipeline ${layout.pipelineParallelSize}) exceeds the ${link.maxCards} that ${hardware.name}'s ${link.link} joins` }];
  return [];
}

/** Refuses a layout that cannot run, with every reason at once. */
export function assertLayout(layout: ParallelLayout, model: Model, hardware: Hardware): void {
  const issues = checkLayout(layout, model, hardware);
  if (issues.length > 0) throw new UserError({ what: `cannot spread ${model.displayName ?? model.name} over ${describeLayout(layout)} of ${hardware.name}`, issues });
}

/** `2 cards (tensor 2)`, `8 cards (tensor 4 × pipeline 2)`, `1 card`. */
export function describeLayout(layout: ParallelLayout): string {
  const cards = totalCards(layout);
  const parts = [
    layout.dataParallelSize > 1 ? `${layout.dataParallelSize} replicas` : undefined,
    layout.tensorParallelSize > 1 ? `tensor ${layout.tensorParallelSize}` : undefined,
    layout.pipelineParallelSize > 1 ? `pipeline ${layout.pipelineParallelSize}` : undefined,
  ].filter((p) => p !== undefined);
  return `${cards} card${cards === 1 ? '' : 's'}${parts.length > 0 ? ` (${parts.join(' × ')})` : ''}`;
}
