import type { Model } from '../model/index.js';
import type { CompileTarget } from './target.js';

/** The longest sequence: the model's mapping, its position limit and the hardware's. */
export function maxTokensOf(model: Model, target: Pick<CompileTarget, 'maxTokens'>): number {
  return Math.min(model.mapping.maxTokens ?? Infinity, model.architecture.max_position_embeddings, target.maxTokens);
}
