import { InvalidArgumentError, type Command } from 'commander';
import { parallelLayout, type ParallelOptions } from '../parallel/index.js';
import { ROUTER_NAMES, type RouterName } from '../serving/index.js';
import { positiveInteger } from './options.js';

/*
 * The multi-card options of every command that runs a model, under vLLM's
 * names: how many cards split each layer (tensor), the layers (pipeline)
 * and the requests (data: replicas), and whether experts are placed whole.
 */

export interface ParallelCliOptions {
  tensorParallelSize: number;
  pipelineParallelSize: number;
  dataParallelSize: number;
  enableExpertParallel?: boolean;
  overlapCommunication?: boolean;
  microBatches?: number;
  shardVocabulary: boolean;
}

export interface RouterCliOptions {
  router: RouterName;
}

export function withParallelOptions(command: Command): Command {
  return command
    .option('--tensor-parallel-size <n>', "cards each layer's heads and FFN are split over (Megatron-style), linked by the board's interconnect", positiveInteger, 1)
    .option('--pipeline-parallel-size <n>', 'stages the layers are split into, one after another, micro-batches flowing through them', positiveInteger, 1)
    .option('--data-parallel-size <n>', 'replicas of the whole model, each serving its own requests (serve, bench: behind --router)', positiveInteger, 1)
    .option('--enable-expert-parallel', "place a mixture of experts' experts whole on the cards instead of splitting each")
    .option('--overlap-communication', 'hide communication behind compute (a stage costs the longer of the two); default: they run one after the other')
    .option('--micro-batches <n>', 'micro-batches a step is split into through the pipeline (default: one per stage)', positiveInteger)
    .option('--no-shard-vocabulary', 'keep the LM head and the embedding whole on every tensor-parallel card (gpt-fast) instead of splitting the vocabulary (vLLM)');
}

export function withRouterOption(command: Command): Command {
  return command.option('--router <name>', `how requests are spread over the replicas: ${ROUTER_NAMES.join(', ')}`, routerName, 'least-loaded');
}

function routerName(value: string): RouterName {
  if ((ROUTER_NAMES as readonly string[]).includes(value)) return value as RouterName;
  throw new InvalidArgumentError(`expected one of ${ROUTER_NAMES.join(', ')}, got "${value}".`);
}

/** The library's parallel options from the command line's. */
export function parallelOf(o: ParallelCliOptions): ParallelOptions {
  return {
    layout: parallelLayout({ tensorParallelSize: o.tensorParallelSize, pipelineParallelSize: o.pipelineParallelSize, dataParallelSize: o.dataParallelSize, enableExpertParallel: o.enableExpertParallel === true }),
    overlapCommunication: o.overlapCommunication === true,
    microBatches: o.microBatches,
    shardVocabulary: o.shardVocabulary,
  };
}
