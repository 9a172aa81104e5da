import type { BatchShape, StepForm } from '../batch.js';
import { ModelError } from '../errors.js';
import { modelDims, type Model } from '../model/index.js';
import { maxTokensOf } from './length.js';
import { lower } from './lower.js';
import type { MemoryPlan } from './memory.js';
import type { CompileTarget, MemoryContent, MemoryPool } from './target.js';

/*
 * Memory per card. A deployment spreads a model over cards, each holding a
 * share of it: the whole model on one card; a tensor-parallel slice (heads,
 * expert or FFN columns), a pipeline stage (layers) or an expert-parallel
 * group of experts on each of several. A share is described as a model of
 * its own (the sharded model description a parallel layout makes), lowered
 * for the step on its card's board: every weight it holds (all its experts,
 * not only those a step runs), the KV cache of the step's sequences (latent
 * attention's compressed vectors where the model has them) and the
 * activation slots of the step. A share that does not fit is refused, with
 * the figures of every card that does not.
 */

export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

const CONTENT: Readonly<Record<MemoryContent, { label: string; bytes: (memory: MemoryPlan) => number }>> = {
  weights: { label: 'weights', bytes: (memory) => memory.weightBytes },
  kvCache: { label: 'KV cache', bytes: (memory) => memory.kvCacheBytes },
  activations: { label: 'activations', bytes: (memory) => memory.activationBytes },
};

/** How much of each of the hardware's memories a memory plan fills. */
export function memoryUse(memory: MemoryPlan, target: CompileTarget): Array<{ pool: MemoryPool; neededBytes: number }> {
  return target.memory.map((pool) => ({ pool, neededBytes: pool.holds.reduce((sum, content) => sum + CONTENT[content].bytes(memory), 0) }));
}

/** One card's share of a model, on its board. */
export interface CardShare {
  /** The share as a model description of its own (the whole model on one card). */
  readonly model: Model;
  readonly target: CompileTarget;
  /** How messages name the card, e.g. `card 3 (tensor-parallel rank 3)`; default the board's name. */
  readonly label?: string | undefined;
}

/** What one card's share fills of each of its board's memories. */
export interface CardMemory {
  readonly label: string;
  readonly boardName: string;
  readonly memory: MemoryPlan;
  readonly pools: ReadonlyArray<{ readonly pool: MemoryPool; readonly neededBytes: number; readonly fits: boolean }>;
  readonly fits: boolean;
}

/** The memory a memory plan fills on a card, pool by pool. */
export function cardMemory(memory: MemoryPlan, target: CompileTarget, label = target.boardName): CardMemory {
  const pools = memoryUse(memory, target).map((use) => ({ ...use, fits: use.neededBytes <= use.pool.capacityBytes }));
  return { label, boardName: target.boardName, memory, pools, fits: pools.every((p) => p.fits) };
}

/**
 * Plans every card of a deployment for a step over `batch` (each card
 * lowering its share in the batched form, KV cache in paged blocks) and
 * refuses, with the figures of each card that does not fit, a deployment
 * that does not. Returns every card's plan.
 */
export function planCards(cards: readonly CardShare[], batch: BatchShape, options: { modelName?: string } = {}): CardMemory[] {
  const plans = cards.map((card, index) => {
    const { memory } = lower({ model: card.model, target: card.target, batch, maxTokens: maxTokensOf(card.model, card.target), batchedForm: true });
    return cardMemory(memory, card.target, card.label ?? (cards.length === 1 ? card.target.boardName : `card ${index} (${card.target.boardName})`));
  });
  const model = cards[0]?.model;
  refuseUnfit(plans, { modelName: options.modelName ?? (model === undefined ? 'the model' : (model.displayName ?? model.name)), experts: model === undefined ? 0 : (modelDims(model).experts?.routed ?? 0), kvExtent: `${batchTokens(batch)} tokens of ${batch.sequences.length} sequence${batch.sequences.length === 1 ? '' : 's'}` });
  return plans;
}

/** Tokens a batch's KV cache holds once the step has appended its own. */
function batchTokens(batch: BatchShape): number {
  return batch.sequences.reduce((sum, s) => sum + s.context + s.newTokens, 0);
}

/**
 * Throws one error naming every card whose share does not fit, with what it
 * needs of each memory and what the board has; one card alone is named by
 * its board, as a single-card deployment is.
 */
export function refuseUnfit(plans: readonly CardMemory[], c: { modelName: string; experts: number; kvExtent: string }): void {
  const unfit = plans.filter((plan) => !plan.fits);
  if (unfit.length === 0) return;
  const lines = unfit.flatMap((plan) => plan.pools.filter((p) => !p.fits).map((p) => ({ plan, ...p })));
  const figures = (l: (typeof lines)[number]) => {
    const parts = l.pool.holds.map((content) => `${gib(CONTENT[content].bytes(l.plan.memory))} of ${CONTENT[content].label}${contentNote(content, c)}`);
    return `it needs ${parts.join(' + ')}${parts.length > 1 ? ` = ${gib(l.neededBytes)}` : ''}, and ${l.plan.boardName} has ${gib(l.pool.capacityBytes)} (${l.pool.field})`;
  };
  if (plans.length === 1) {
    const only = lines[0]!;
    throw new ModelError({ what: `${c.modelName} does not fit in ${only.pool.name} of ${only.plan.boardName}`, detail: `${figures(only)}.` });
  }
  throw new ModelError({
    what: `${c.modelName} does not fit on ${unfit.length} of its ${plans.length} cards`,
    detail: `${lines.map((l) => `${l.plan.label}: ${l.pool.name}: ${figures(l)}`).join('; ')}.`,
  });
}

function contentNote(content: MemoryContent, c: { experts: number; kvExtent: string }): string {
  if (content === 'kvCache') return ` (${c.kvExtent})`;
  return content === 'weights' && c.experts > 0 ? ` (all ${c.experts} routed experts of each sparse layer)` : '';
}

/** What the KV cache of a compiled step holds: FlightLLM's forms lay out one sequence of the longest length. */
export function kvExtent(c: { batch: BatchShape; form: StepForm; maxTokens: number }): string {
  if (c.form.kind !== 'batched') return `${c.maxTokens} tokens`;
  const n = c.batch.sequences.length;
  return `${batchTokens(c.batch)} tokens of ${n} sequence${n === 1 ? '' : 's'}`;
}
