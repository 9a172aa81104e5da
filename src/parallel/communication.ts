import type { BatchShape } from '../batch.js';
import { batchRows } from '../batch.js';
import type { Interconnect } from '../backends/index.js';
import { dtypeBits } from '../dtype.js';
import { modelDims, type Model } from '../model/index.js';
import { collectiveCost, type Collective, type CollectiveCost } from './collectives.js';
import type { StageShard } from './shard.js';

/*
 * The communication of one pipeline stage's tensor-parallel cards for one
 * micro-batch, Megatron-style: an all-reduce of the hidden states after
 * attention's output projection and another after the FFN's down
 * projection, in every layer of the stage; where the vocabulary is split
 * (vLLM), an all-reduce after the embedding on the first stage and a
 * gather of the logits on the last. Handing a micro-batch to the next
 * stage is a send of its hidden states.
 *
 * Expert parallelism changes no collective here: attention is split by
 * heads, so every card holds every token when the experts run, computes its
 * own experts' share, and the FFN's all-reduce sums them, as vLLM does with
 * tensor-parallel attention. The all-to-all of expert parallelism belongs
 * to data-parallel attention (each card its own tokens), which is not
 * modelled.
 *
 * Partial sums are reduced at the activations' width but at least 16 bits
 * (an assumption: int8 or fp8 partial sums would lose the sums' precision,
 * and FlightLLM publishes no multi-card design to say otherwise); logits
 * travel at least at 16 bits too.
 */

/** A kind of collective a step ran, how often, and what it moved and cost in all. */
export interface CollectiveTally {
  readonly collective: Collective;
  /** What it is for: `attention output`, `FFN output`, `embedding`, `logits`, `stage handoff`. */
  readonly purpose: string;
  readonly count: number;
  /** Bytes of one call's tensor. */
  readonly bytes: number;
  readonly ms: number;
  /** Bytes over all links together (the links' energy). */
  readonly linkBytes: number;
}

export interface CommunicationContext {
  readonly link: Interconnect;
  readonly model: Model;
  readonly tensorParallelSize: number;
  readonly shardVocabulary: boolean;
}

/** Bytes one element of the hidden states or logits travels with. */
export function wireBytes(model: Model): number {
  return Math.max(16, dtypeBits(model.mapping.precision.activations)) / 8;
}

/** The tensor-parallel collectives of one stage over one micro-batch. */
export function stageCollectives(context: CommunicationContext, stage: StageShard, micro: BatchShape): CollectiveTally[] {
  const tp = context.tensorParallelSize;
  if (tp === 1) return [];
  const d = modelDims(context.model);
  const hidden = batchRows(micro) * d.hidden * wireBytes(context.model);
  const tallies = [tally(context.link, { collective: 'all-reduce', purpose: 'attention output', count: stage.layers, bytes: hidden, cards: tp }), tally(context.link, { collective: 'all-reduce', purpose: 'FFN output', count: stage.layers, bytes: hidden, cards: tp })];
  if (context.shardVocabulary && stage.firstLayer === 0) tallies.push(tally(context.link, { collective: 'all-reduce', purpose: 'embedding', count: 1, bytes: hidden, cards: tp }));
  if (context.shardVocabulary && stage.head) {
    const paddedVocab = Math.ceil(d.vocab / tp) * tp;
    tallies.push(tally(context.link, { collective: 'all-gather', purpose: 'logits', count: 1, bytes: micro.sequences.length * paddedVocab * wireBytes(context.model), cards: tp }));
  }
  return tallies;
}

/** Handing a micro-batch's hidden states to the next stage: each tensor-parallel card sends its copy to its peer. */
export function handoff(context: CommunicationContext, micro: BatchShape): CollectiveTally {
  const bytes = batchRows(micro) * modelDims(context.model).hidden * wireBytes(context.model);
  const one = tally(context.link, { collective: 'send-recv', purpose: 'stage handoff', count: 1, bytes, cards: 2 });
  return { ...one, linkBytes: one.linkBytes * context.tensorParallelSize };
}

function tally(link: Interconnect, c: { collective: Collective; purpose: string; count: number; bytes: number; cards: number }): CollectiveTally {
  const one: CollectiveCost = collectiveCost(link, { collective: c.collective, bytes: c.bytes, cards: c.cards });
  return { collective: c.collective, purpose: c.purpose, count: c.count, bytes: c.bytes, ms: one.ms * c.count, linkBytes: one.linkBytes * c.count };
}

/** The time of several tallies, ms. */
export function tallyMs(tallies: readonly CollectiveTally[]): number {
  return tallies.reduce((sum, t) => sum + t.ms, 0);
}

/** Tallies of the same collective and purpose added together (count, time and bytes). */
export function mergeTallies(tallies: readonly CollectiveTally[]): CollectiveTally[] {
  const merged = new Map<string, CollectiveTally>();
  for (const t of tallies) {
    const key = `${t.collective}|${t.purpose}`;
    const seen = merged.get(key);
    merged.set(key, seen === undefined ? t : { ...seen, count: seen.count + t.count, bytes: Math.max(seen.bytes, t.bytes), ms: seen.ms + t.ms, linkBytes: seen.linkBytes + t.linkBytes });
  }
  return [...merged.values()];
}
