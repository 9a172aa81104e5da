import { modelDims, type Model } from '../model/index.js';
import { deepFreeze } from '../util/freeze.js';
import type { ParallelLayout } from './layout.js';

/*
 * One card's share of a model, as a model description its board's backend
 * compiles and costs like any other. Tensor parallelism follows Megatron-LM:
 * the query, key, value, gate and up projections are split by their output
 * columns (column-parallel), the output and down projections by their input
 * rows (row-parallel), so each card holds heads / tp attention heads and
 * intermediate / tp FFN columns, and the row-parallel outputs are summed by
 * an all-reduce after attention and after the FFN. Key/value heads are split
 * as well, or, when there are fewer than cards, each card keeps one
 * (replicated). vLLM also splits the vocabulary of the LM head (and of the
 * embedding) over the cards; gpt-fast keeps them whole. A mixture of
 * experts splits every expert's network the same way; with expert
 * parallelism each card holds routed / tp whole experts instead, and the
 * tokens' top-k choices fall on a card's experts k / tp at a time (the
 * probability k / E that a token picks an expert is kept). Latent
 * attention's compressed cache is one vector per token for all heads: every
 * card keeps it whole. Pipeline
 * parallelism gives each stage a run of consecutive layers; only the last
 * computes the head.
 */

export interface ShardOptions {
  /**
   * Split the LM head's (and the embedding's) vocabulary over the tensor-
   * parallel cards, as vLLM does; false keeps them whole on every card, as
   * gpt-fast's tp.py does. Default true.
   */
  readonly shardVocabulary?: boolean | undefined;
}

/** One pipeline stage's card, alike on every tensor-parallel rank. */
export interface StageShard {
  readonly stage: number;
  /** The stage's first layer in the whole model, and how many it runs. */
  readonly firstLayer: number;
  readonly layers: number;
  /** Whether the stage computes the final norm and the LM head (the last stage). */
  readonly head: boolean;
  /** The card's share, as a model description. */
  readonly model: Model;
}

/** Layers of each stage: as even as possible, the spare ones on the earliest stages (the last carries the head). */
export function stageLayers(layers: number, stages: number): number[] {
  const base = Math.floor(layers / stages);
  const spare = layers % stages;
  return Array.from({ length: stages }, (_, stage) => base + (stage < spare ? 1 : 0));
}

/** Each pipeline stage's card share of the model; one entry where the layout has one stage. */
export function shardModel(model: Model, layout: ParallelLayout, options: ShardOptions = {}): StageShard[] {
  const counts = stageLayers(modelDims(model).layers, layout.pipelineParallelSize);
  const tensor = tensorShard(model, { tp: layout.tensorParallelSize, shardVocabulary: options.shardVocabulary ?? true, expertParallel: layout.enableExpertParallel });
  let firstLayer = 0;
  return counts.map((layers, stage) => {
    const shard: StageShard = { stage, firstLayer, layers, head: stage === counts.length - 1, model: withLayers(tensor, layers, { stage, stages: counts.length }) };
    firstLayer += layers;
    return shard;
  });
}

/** One tensor-parallel card's share of every layer. */
function tensorShard(model: Model, s: { tp: number; shardVocabulary: boolean; expertParallel: boolean }): Model {
  const { tp } = s;
  if (tp === 1) return model;
  const d = modelDims(model);
  const a = model.architecture;
  return {
    ...model,
    displayName: `${model.displayName ?? model.name}, 1/${tp} ${s.expertParallel ? 'tensor and expert' : 'tensor'} shard`,
    architecture: {
      ...a,
      num_attention_heads: d.heads / tp,
      num_key_value_heads: d.kvHeads >= tp ? d.kvHeads / tp : 1,
      head_dim: d.headDim,
      intermediate_size: d.intermediate / tp,
      vocab_size: s.shardVocabulary ? Math.ceil(d.vocab / tp) : d.vocab,
      ...expertShard(model, s),
    },
  };
}

/** A mixture of experts' share on one card: every expert split by its columns, or (expert parallelism) whole experts, tp of them fewer. */
function expertShard(model: Model, s: { tp: number; expertParallel: boolean }): Partial<Model['architecture']> {
  const x = modelDims(model).experts;
  if (x === undefined) return {};
  // Shared experts run every token on every card: split like a dense FFN either way.
  const shared = x.shared > 0 ? { shared_expert_intermediate_size: x.sharedIntermediate / s.tp } : {};
  if (!s.expertParallel) return { moe_intermediate_size: x.intermediate / s.tp, ...shared };
  return { n_routed_experts: x.routed / s.tp, num_experts_per_tok: x.topK / s.tp, moe_intermediate_size: x.intermediate, ...shared };
}

function withLayers(model: Model, layers: number, at: { stage: number; stages: number }): Model {
  if (at.stages === 1) return deepFreeze(model);
  return deepFreeze({
    ...model,
    displayName: `${model.displayName ?? model.name}, pipeline stage ${at.stage + 1}/${at.stages}`,
    architecture: { ...model.architecture, num_hidden_layers: layers },
  });
}
