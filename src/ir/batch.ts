import type { BatchShape } from '../batch.js';
import type { Ir } from './schema.js';

/**
 * The sequences a batched step's input layer declares, or undefined for an
 * IR in one of FlightLLM's single-sequence shapes (its own files declare
 * none), to which FlightLLM's shape-specific behaviours apply.
 */
export function declaredBatch(ir: Ir): BatchShape | undefined {
  const input = ir.find((layer) => layer.type === 'input');
  const sequences = input?.type === 'input' ? input.structure.sequences : undefined;
  if (sequences === undefined) return undefined;
  return { sequences: sequences.map((s) => ({ newTokens: s.new_tokens, context: s.context })) };
}
