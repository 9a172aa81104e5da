import { batchRows, type BatchShape } from '../batch.js';
import type { KvCapacity } from '../compiler/index.js';
import { createStepCostModel, type ExactStepCost, type StepCost, type StepCostModel, type StepCostOptions } from '../cost/index.js';
import { ModelError, UserError, type Issue } from '../errors.js';
import type { Hardware } from '../backends/index.js';
import { modelDims, summarizeRouting, type ExpertDims, type ExpertStepSummary, type Model } from '../model/index.js';
import { handoff, mergeTallies, stageCollectives, tallyMs, type CollectiveTally, type CommunicationContext } from './communication.js';
import { parallelStepEnergy } from './energy.js';
import { assertLayout, describeLayout, isMultiCard, replicaCards, type ParallelLayout } from './layout.js';
import { schedulePipeline, splitMicroBatches } from './pipeline.js';
import { shardModel, type StageShard } from './shard.js';

/*
 * What one step of a replica spread over several cards costs. Each card's
 * share of the model is compiled and costed by its board's own backend
 * (FlightLLM's boards instruction by instruction, shard by shard); the
 * collectives between the cards are costed over the board's interconnect;
 * pipeline stages run micro-batches one after another. A replica of one
 * card is exactly the single-card step cost model.
 *
 * Communication does not overlap compute by default: a tensor-parallel
 * all-reduce needs the output of the projection before it and the next
 * layer needs its result, and neither vLLM nor gpt-fast overlaps them in
 * decode. `overlapCommunication` hides it behind the card's compute instead
 * (a stage costs the longer of the two), an optimistic limit.
 */

export interface ParallelOptions {
  readonly layout: ParallelLayout;
  /** Hide communication behind compute (a stage costs the longer of the two); default false. */
  readonly overlapCommunication?: boolean | undefined;
  /** Micro-batches a step is split into through the pipeline; default one per stage (at most one per sequence). */
  readonly microBatches?: number | undefined;
  /** Split the vocabulary (LM head, embedding) over the tensor-parallel cards as vLLM does; false keeps it whole, as gpt-fast does. Default true. */
  readonly shardVocabulary?: boolean | undefined;
}

export interface ParallelStepCostOptions extends StepCostOptions, ParallelOptions {}

/** One pipeline stage's part of a step. */
export interface StageFigures {
  readonly stage: number;
  readonly layers: number;
  /** Its cards' compute over every micro-batch, ms. */
  readonly computeMs: number;
  /** Its tensor-parallel collectives over every micro-batch, ms. */
  readonly communicationMs: number;
}

/** What a multi-card step adds to a card's: the cards, the communication and the pipeline. */
export interface ParallelFigures {
  /** Cards of the replica. */
  readonly cards: number;
  readonly microBatches: number;
  readonly stages: readonly StageFigures[];
  /** Time the links are busy over the step: every collective and handoff, ms. */
  readonly communicationMs: number;
  /** Time the pipeline waits to fill and drain, beyond its busiest stage's work, ms. */
  readonly bubbleMs: number;
  readonly collectives: readonly CollectiveTally[];
  /** Energy of the bits over the links, J. */
  readonly linkJoules: number;
}

export interface ParallelStepCost extends StepCost {
  readonly parallel: ParallelFigures;
}

export interface ParallelStepCostModel extends StepCostModel {
  readonly layout: ParallelLayout;
  /** Each pipeline stage's card share and the cost model of one of its cards. */
  readonly stages: ReadonlyArray<{ readonly shard: StageShard; readonly costs: StepCostModel }>;
  fast(batch: BatchShape): ParallelStepCost;
  exact(batch: BatchShape): ExactStepCost & ParallelStepCost;
}

/** The busy time of the links, reported beside each card's modules. */
export const LINK_MODULE = 'LINK';

/**
 * The step cost model of a replica: the single-card model where the layout
 * has one card per replica, else a model over its cards. Refuses a layout
 * that cannot run, and one whose cards' memory does not hold their share,
 * with the figures of every card.
 */
export function createParallelStepCostModel(options: ParallelStepCostOptions): StepCostModel {
  assertLayout(options.layout, options.model, options.hardware);
  if (!isMultiCard(options.layout)) return createStepCostModel(options);
  return new ParallelStepCosts(options);
}

class ParallelStepCosts implements ParallelStepCostModel {
  readonly hardware: Hardware;
  readonly model: Model;
  readonly layout: ParallelLayout;
  readonly stages: ReadonlyArray<{ readonly shard: StageShard; readonly costs: StepCostModel }>;
  readonly moduleNames: readonly string[];
  readonly maxTokens: number;
  readonly maxTokensOwner: string;
  readonly capacity: KvCapacity;
  private readonly communication: CommunicationContext;
  /** The whole model's experts, found once: every step reports their routing. */
  private readonly experts: ExpertDims | undefined;

  constructor(private readonly options: ParallelStepCostOptions) {
    this.hardware = options.hardware;
    this.model = options.model;
    this.layout = options.layout;
    this.stages = stageCostModels(options);
    this.moduleNames = [...this.stages[0]!.costs.moduleNames, LINK_MODULE];
    const shortest = this.stages.map((s) => s.costs).reduce((a, b) => (b.maxTokens < a.maxTokens ? b : a));
    this.maxTokens = shortest.maxTokens;
    this.maxTokensOwner = shortest.maxTokensOwner;
    // Every card holds the KV cache of the same tokens: the card with the fewest blocks limits them all.
    this.capacity = this.stages.map((s) => s.costs.capacity).reduce((a, b) => (b.blocks < a.blocks ? b : a));
    this.experts = modelDims(options.model).experts;
    this.communication = { link: options.hardware.interconnect!, model: options.model, tensorParallelSize: options.layout.tensorParallelSize, shardVocabulary: options.shardVocabulary ?? true };
  }

  fast(batch: BatchShape): ParallelStepCost {
    return this.combine(batch, (costs, micro) => costs.fast(micro)).cost;
  }

  exact(batch: BatchShape): ExactStepCost & ParallelStepCost {
    const { cost, parts } = this.combine(batch, (costs, micro) => costs.exact(micro));
    const busiest = parts.reduce((a, b) => (b.totalMs > a.totalMs ? b : a)) as ExactStepCost;
    return { ...cost, path: 'exact', profile: busiest.profile, physical: busiest.physical, measured: busiest.measured };
  }

  flush(): void {
    for (const stage of this.stages) stage.costs.flush();
  }

  /** Costs every stage's card on every micro-batch, adds the collectives and runs the pipeline. */
  private combine<C extends StepCost>(batch: BatchShape, cost: (costs: StepCostModel, micro: BatchShape) => C): { cost: ParallelStepCost; parts: C[] } {
    const micro = splitMicroBatches(batch, this.microBatchCount(batch));
    const cards = this.stages.map(({ shard, costs }) => micro.map((m) => ({ card: cost(costs, m), collectives: stageCollectives(this.communication, shard, m) })));
    const stageMs = cards.map((row) => row.map(({ card, collectives }) => this.stageTime(card.totalMs, tallyMs(collectives))));
    const handoffs = this.stages.length > 1 ? micro.map((m) => handoff(this.communication, m)) : [];
    const schedule = schedulePipeline({ stageMs, handoffMs: micro.map((_, j) => handoffs[j]?.ms ?? 0) });
    const collectives = mergeTallies([...cards.flat().flatMap((c) => c.collectives), ...handoffs.flatMap((h) => Array.from({ length: this.stages.length - 1 }, () => h))]);
    const bound = this.boundOf(batch, micro, cards.map((row) => row.map((c) => c.card)));
    const figures = this.figures({ cards: cards.map((row) => row.map((c) => ({ card: c.card, communicationMs: tallyMs(c.collectives) }))), collectives, bubbleMs: schedule.bubbleMs, microBatches: micro.length });
    const busiest = cards[schedule.busiestStage]!.map((c) => c.card);
    const rows = batchRows(batch);
    const stepCost: ParallelStepCost = {
      path: busiest[0]!.path,
      totalMs: schedule.totalMs,
      boundMs: bound.boundMs,
      bound: bound.bound,
      modules: { ...sumModules(busiest), [LINK_MODULE]: figures.communicationMs },
      engines: busiest[0]!.engines,
      rows,
      experts: this.routing(rows),
      dynamicJ: cards.flat().reduce((sum, c) => sum + c.card.dynamicJ, 0) * this.layout.tensorParallelSize,
      energy: parallelStepEnergy(this.hardware, { totalMs: schedule.totalMs, tensorParallelSize: this.layout.tensorParallelSize, stages: cards.map((row) => row.map((c) => c.card)), linkJoules: figures.linkJoules }),
      parallel: figures,
    };
    return { cost: stepCost, parts: cards.flat().map((c) => c.card) };
  }

  /** The whole model's routing over the step's tokens (cards split or place the experts; which run is the model's). */
  private routing(rows: number): ExpertStepSummary | undefined {
    return this.experts === undefined ? undefined : summarizeRouting(this.experts, rows);
  }

  private microBatchCount(batch: BatchShape): number {
    const stages = this.stages.length;
    if (stages === 1) return 1;
    return Math.min(this.options.microBatches ?? stages, batch.sequences.length);
  }

  private stageTime(computeMs: number, communicationMs: number): number {
    return this.options.overlapCommunication === true ? Math.max(computeMs, communicationMs) : computeMs + communicationMs;
  }

  /**
   * No schedule beats the busiest card doing its share of the whole batch at
   * its board's bound (communication could in principle hide behind it).
   * Where the step is one micro-batch the cards' own bounds are that.
   */
  private boundOf(batch: BatchShape, micro: readonly BatchShape[], cards: ReadonlyArray<readonly StepCost[]>): Pick<StepCost, 'boundMs' | 'bound'> {
    const whole = micro.length === 1 ? cards.map((row) => row[0]!) : this.stages.map((s) => s.costs.fast(batch));
    const limiting = whole.reduce((a, b) => (b.boundMs > a.boundMs ? b : a));
    return { boundMs: limiting.boundMs, bound: limiting.bound };
  }

  private figures(f: { cards: ReadonlyArray<ReadonlyArray<{ card: StepCost; communicationMs: number }>>; collectives: CollectiveTally[]; bubbleMs: number; microBatches: number }): ParallelFigures {
    const link = this.hardware.interconnect!;
    const stages = f.cards.map((row, stage) => ({
      stage,
      layers: this.stages[stage]!.shard.layers,
      computeMs: row.reduce((sum, c) => sum + c.card.totalMs, 0),
      communicationMs: row.reduce((sum, c) => sum + c.communicationMs, 0),
    }));
    const linkBytes = f.collectives.reduce((sum, t) => sum + t.linkBytes, 0);
    return {
      cards: replicaCards(this.layout),
      microBatches: f.microBatches,
      stages,
      communicationMs: tallyMs(f.collectives),
      bubbleMs: f.bubbleMs,
      collectives: f.collectives,
      linkJoules: linkBytes * 8 * link.energyPjPerBit * 1e-12,
    };
  }
}

/** One cost model per pipeline stage; every card that cannot hold its share is named with its figures, all at once. */
function stageCostModels(options: ParallelStepCostOptions): Array<{ shard: StageShard; costs: StepCostModel }> {
  const shards = shardModel(options.model, options.layout, { shardVocabulary: options.shardVocabulary });
  const issues: Issue[] = [];
  const stages: Array<{ shard: StageShard; costs: StepCostModel }> = [];
  for (const shard of shards) {
    try {
      stages.push({ shard, costs: createStepCostModel({ ...options, model: shard.model, head: shard.head }) });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      issues.push({ path: cardName(options.layout, shard), message: error.message.replace(/\.$/, '') });
    }
  }
  if (issues.length > 0) throw new ModelError({ what: `${options.model.displayName ?? options.model.name} does not fit on ${describeLayout(options.layout)} of ${options.hardware.name}`, issues });
  return stages;
}

/** `stage 1 of 2 (each of its 4 tensor-parallel cards)`. */
function cardName(layout: ParallelLayout, shard: StageShard): string {
  const stage = layout.pipelineParallelSize > 1 ? `stage ${shard.stage + 1} of ${layout.pipelineParallelSize}, layers ${shard.firstLayer}–${shard.firstLayer + shard.layers - 1}` : 'every card';
  return layout.tensorParallelSize > 1 ? `${stage} (each of its ${layout.tensorParallelSize} tensor-parallel cards)` : stage;
}

function sumModules(costs: readonly StepCost[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const cost of costs) for (const [name, ms] of Object.entries(cost.modules)) out[name] = (out[name] ?? 0) + ms;
  return out;
}
