import { ModelError, type Issue } from '../errors.js';
import { compileTarget, type CompileTarget, type MemoryContent, type MemoryPool } from '../backends/index.js';
import type { Hardware } from '../hardware/index.js';
import type { Ir } from '../ir/index.js';
import { modelDims, type Model } from '../model/index.js';
import { deepFreeze } from '../util/freeze.js';
import { lower, type Stage } from './lower.js';
import type { MemoryPlan } from './memory.js';

export interface CompileOptions {
  readonly stage: Stage;
  /** Prompt length (prefill) or context length (decode). */
  readonly tokens: number;
  readonly hardware: Hardware;
  /** Round the length up to the hardware's padding (FlightLLM: prefill to 128, decode to 16 on the VHK158); default true. */
  readonly pad?: boolean;
}

export interface CompiledIr {
  /** File stem: `<model name>_<stage>_token_<tokens>`. */
  readonly name: string;
  readonly stage: Stage;
  /** The length compiled, after padding. */
  readonly tokens: number;
  readonly ir: Ir;
  readonly memory: MemoryPlan;
}

/**
 * Lowers a model to FlightLLM's IR for one stage and length, with real HBM
 * addresses. Refuses lengths beyond the model's maximum, dimensions the
 * accelerator cannot tile, and models that do not fit in device memory.
 */
export function compileModel(model: Model, options: CompileOptions): CompiledIr {
  const { hardware: hw, stage } = options;
  const target = compileTarget(hw);
  const unit = options.pad === false ? 1 : target.padTokens[stage];
  const tokens = Math.ceil(options.tokens / unit) * unit;
  const maxTokens = maxTokensOf(model, hw);
  throwIfAny(checkForHardware(model, target), 'the model cannot be mapped onto this hardware');
  const lengthIssues = checkLength({ stage, requested: options.tokens, tokens, maxTokens });
  throwIfAny(lengthIssues, 'invalid length');
  const { layers, memory } = lower({ model, target, stage, tokens, maxTokens });
  checkMemory({ model, hw, memory, maxTokens });
  return { name: `${model.name}_${stage}_token_${tokens}`, stage, tokens, ir: deepFreeze(layers), memory };
}

/** The longest sequence: the model's mapping, its position limit and the hardware's. */
export function maxTokensOf(model: Model, hw: Hardware): number {
  return Math.min(model.mapping.maxTokens ?? Infinity, model.architecture.max_position_embeddings, compileTarget(hw).maxTokens);
}

const CONTENT: Readonly<Record<MemoryContent, { label: string; bytes: (memory: MemoryPlan) => number }>> = {
  weights: { label: 'weights', bytes: (memory) => memory.weightBytes },
  kvCache: { label: 'KV cache', bytes: (memory) => memory.kvCacheBytes },
  activations: { label: 'activations', bytes: (memory) => memory.activationBytes },
};

export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** How much of each of the hardware's memories a memory plan fills. */
export function memoryUse(memory: MemoryPlan, hw: Hardware): Array<{ pool: MemoryPool; neededBytes: number }> {
  return compileTarget(hw).memory.map((pool) => ({ pool, neededBytes: pool.holds.reduce((sum, content) => sum + CONTENT[content].bytes(memory), 0) }));
}

/** Refuses a model that does not fit in one of the hardware's memories, with the numbers. */
function checkMemory(c: { model: Model; hw: Hardware; memory: MemoryPlan; maxTokens: number }): void {
  for (const { pool, neededBytes } of memoryUse(c.memory, c.hw)) {
    if (neededBytes <= pool.capacityBytes) continue;
    const parts = pool.holds.map((content) => `${gib(CONTENT[content].bytes(c.memory))} of ${CONTENT[content].label}${content === 'kvCache' ? ` (${c.maxTokens} tokens)` : ''}`);
    throw new ModelError({
      what: `${c.model.displayName ?? c.model.name} does not fit in ${pool.name} of ${c.hw.name}`,
      detail: `it needs ${parts.join(' + ')}${parts.length > 1 ? ` = ${gib(neededBytes)}` : ''}, and ${c.hw.name} has ${gib(pool.capacityBytes)} (${pool.field}).`,
    });
  }
}

/** Every dimension the matrix engine tiles must be a whole number of blocks. */
function checkForHardware(model: Model, target: CompileTarget): Issue[] {
  const d = modelDims(model);
  const block = target.blockSize;
  const dims: Array<[string, number]> = [
    ['architecture.hidden_size', d.hidden],
    ['architecture.intermediate_size', d.intermediate],
    ['architecture.head_dim', d.headDim],
    ['architecture.vocab_size', d.vocab],
  ];
  return dims
    .filter(([, value]) => value % block !== 0)
    .map(([path, value]) => ({ path, message: `${value} is not a multiple of the accelerator's block size ${block} (${target.blockSizeField})` }));
}

function checkLength(l: { stage: Stage; requested: number; tokens: number; maxTokens: number }): Issue[] {
  const issues: Issue[] = [];
  if (!Number.isInteger(l.requested) || l.requested < 1) issues.push({ path: 'tokens', message: `expected a positive integer, got ${l.requested}` });
  else if (l.tokens > l.maxTokens) issues.push({ path: 'tokens', message: `${l.tokens}${l.tokens === l.requested ? '' : ` (${l.requested} padded)`} tokens exceed the maximum of ${l.maxTokens}` });
  else if (l.stage === 'decode' && l.tokens < 2) issues.push({ path: 'tokens', message: 'a decode step needs a context of at least 2 tokens (one of them cached)' });
  return issues;
}

function throwIfAny(issues: readonly Issue[], what: string): void {
  if (issues.length > 0) throw new ModelError({ what, issues });
}
