/*
 * Many cards: a model spread over several cards of one board kind by
 * tensor, pipeline and data parallelism, each card's share compiled and
 * costed by its board's backend, the collectives between them costed over
 * the board's interconnect.
 */
export { SINGLE_CARD, parallelLayout, replicaCards, totalCards, isMultiCard, checkLayout, assertLayout, describeLayout, type ParallelLayout } from './layout.js';
export { shardModel, stageLayers, type StageShard, type ShardOptions } from './shard.js';
export { collectiveCost, COLLECTIVES, type Collective, type CollectiveRequest, type CollectiveCost } from './collectives.js';
export { stageCollectives, handoff, wireBytes, type CollectiveTally, type CommunicationContext } from './communication.js';
export { splitMicroBatches, schedulePipeline, type PipelineTimes, type PipelineSchedule } from './pipeline.js';
export { parallelStepEnergy, layoutDollarsPerHour, layoutTokensPerDollar, layoutIdleJoules } from './energy.js';
export { createParallelStepCostModel, LINK_MODULE, type ParallelOptions, type ParallelStepCostOptions, type ParallelStepCost, type ParallelStepCostModel, type ParallelFigures, type StageFigures } from './step.js';
