import type { Model } from '../model/index.js';
import type { CompileTarget } from './target.js';

/** The longest sequence: the model's mapping, its position limit and the hardware's. */
export function maxTokensOf(model: Model, target: Pick<CompileTarget, 'maxTokens'>): number {
  return Math.min(model.mapping.maxTokens ?? Infinity, model.architecture.max_position_embeddings, target.maxTokens);
}

/** The longest sequence and whose limit it is, for messages. */
export interface TokenLimit {
  readonly tokens: number;
  /** `vhk158's limit of 2048 tokens (sparsity.maxTokens)`, `llama2-7B's context of 4096 tokens (max_position_embeddings)`. */
  readonly owner: string;
}

/**
 * The tightest of the model's context (`max_position_embeddings`), a
 * deployment limit its mapping may set (`mapping.maxTokens`) and the board's
 * (FlightLLM's MAX_LEN is the VHK158's, `sparsity.maxTokens`), naming the one
 * that binds; `maxTokensOf` is its number. The board wins ties: a request
 * over it is refused by the board.
 */
export function tokenLimit(model: Model, target: Pick<CompileTarget, 'maxTokens' | 'maxTokensField' | 'boardName'>): TokenLimit {
  const name = model.displayName ?? model.name;
  const limits: TokenLimit[] = [
    { tokens: target.maxTokens, owner: `${target.boardName}'s limit of ${target.maxTokens} tokens (${target.maxTokensField})` },
    { tokens: model.architecture.max_position_embeddings, owner: `${name}'s context of ${model.architecture.max_position_embeddings} tokens (max_position_embeddings)` },
  ];
  const mapped = model.mapping.maxTokens;
  if (mapped !== undefined) limits.push({ tokens: mapped, owner: `${name}'s deployment limit of ${mapped} tokens (mapping.maxTokens)` });
  return limits.reduce((tightest, limit) => (limit.tokens < tightest.tokens ? limit : tightest));
}
