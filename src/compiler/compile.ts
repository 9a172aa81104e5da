import { checkBatch, decodeShape, formatBatch, prefillShape, type BatchShape, type StepForm } from '../batch.js';
import { ModelError, type Issue } from '../errors.js';
import type { Ir, LayerType } from '../ir/index.js';
import { modelDims, PRECISION_PRESETS, type Model, type Precision } from '../model/index.js';
import { deepFreeze } from '../util/freeze.js';
import { lower, type LayerTag, type LinearEngines, type LoweringParts } from './lower.js';
import type { MemoryPlan } from './memory.js';
import { stepFileName } from './naming.js';
import { cardMemory, kvExtent, refuseUnfit } from './cards.js';
import { tokenLimit, type TokenLimit } from './length.js';
import type { CompileTarget } from './target.js';
import { precisionOnBoard } from './precision-fallback.js';

/** FlightLLM's two stages: a prompt's prefill, or one decode step. */
export type Stage = 'prefill' | 'decode';

/** One of FlightLLM's stages at one length. */
export interface StageCompileOptions {
  readonly stage: Stage;
  /** Prompt length (prefill) or context length including the new token (decode). */
  readonly tokens: number;
  /** The board, as the compiler sees it (`compileTarget(hardware)`). */
  readonly target: CompileTarget;
  /** Round the length up to the hardware's padding (FlightLLM: prefill to 128, decode to 16 on the VHK158); default true. */
  readonly pad?: boolean;
}

/** One accelerator step over a batch of sequences. */
export interface BatchCompileOptions {
  readonly batch: BatchShape;
  /** The board, as the compiler sees it (`compileTarget(hardware)`). */
  readonly target: CompileTarget;
  /** Engine of each projection where it has more than one row; default the matrix-matrix engine. */
  readonly linearEngines?: LinearEngines | undefined;
  /** Lower in our batched form even where FlightLLM has one (cost probes). */
  readonly batchedForm?: boolean | undefined;
  /** Emit only these parts of the step (cost probes); default all. */
  readonly parts?: LoweringParts | undefined;
}

export type CompileOptions = StageCompileOptions | BatchCompileOptions;

export interface CompiledIr {
  /** File stem: `<model name>_<stage>_token_<tokens>` in FlightLLM's forms, `<model name>_step_<shape>` otherwise. */
  readonly name: string;
  readonly batch: BatchShape;
  readonly form: StepForm;
  /** FlightLLM's stage and length (after padding), in its forms; undefined for a batched step. */
  readonly stage: Stage | undefined;
  readonly tokens: number | undefined;
  readonly ir: Ir;
  readonly memory: MemoryPlan;
  /** The engine each linear role runs on (a routed expert's: the first expert's). */
  readonly engines: LinearEngines;
  /** For a part of a step: tensors it reads that layers left out produce, with their types. */
  readonly producedOutside: ReadonlyMap<string, LayerType>;
  /** What each IR layer does, by position. */
  readonly tags: readonly LayerTag[];
}

/**
 * Lowers a model to FlightLLM's IR, with real device addresses: one of
 * FlightLLM's stages at one length, or one step over a batch of sequences.
 * Refuses lengths beyond the model's maximum, dimensions the accelerator
 * cannot tile, and steps that do not fit in device memory.
 */
export function compileModel(model: Model, options: CompileOptions): CompiledIr {
  const { target } = options;
  throwIfAny(checkForHardware(model, target), 'the model cannot be mapped onto this hardware');
  checkPrecision(model, target);
  const limit = tokenLimit(model, target);
  const maxTokens = limit.tokens;
  const batch = 'batch' in options ? options.batch : stageBatch(options, target, limit);
  throwIfAny(checkBatch(batch, maxTokens, limit.owner), 'invalid batch');
  const batchOptions: Partial<BatchCompileOptions> = 'batch' in options ? options : {};
  const lowered = lower({ model, target, batch, maxTokens, linearEngines: batchOptions.linearEngines, batchedForm: batchOptions.batchedForm, parts: batchOptions.parts });
  checkMemory({ model, target, memory: lowered.memory, batch, form: lowered.form, maxTokens });
  const form = lowered.form;
  return {
    name: stepFileName(model.name, form, formatBatch(batch).replaceAll(' ', '_')),
    batch,
    form,
    stage: form.kind === 'batched' ? undefined : form.kind,
    tokens: form.kind === 'batched' ? undefined : form.tokens,
    ir: deepFreeze(lowered.layers),
    memory: lowered.memory,
    engines: lowered.engines,
    producedOutside: lowered.producedOutside,
    tags: lowered.tags,
  };
}

/** The batch of FlightLLM's stage at its (padded) length, after checking the length. */
function stageBatch(options: StageCompileOptions, target: CompileTarget, limit: TokenLimit): BatchShape {
  const unit = options.pad === false ? 1 : target.padTokens[options.stage];
  const tokens = Math.ceil(options.tokens / unit) * unit;
  throwIfAny(checkLength({ stage: options.stage, requested: options.tokens, tokens, limit }), 'invalid length');
  return options.stage === 'prefill' ? prefillShape(tokens) : decodeShape(tokens);
}

export { maxTokensOf, tokenLimit, type TokenLimit } from './length.js';

export { gib, memoryUse } from './cards.js';

/** Refuses a step that does not fit in one of the hardware's memories, with the numbers (one card: the whole model). */
function checkMemory(check: { model: Model; target: CompileTarget; memory: MemoryPlan; batch: BatchShape; form: StepForm; maxTokens: number }): void {
  refuseUnfit([cardMemory(check.memory, check.target)], { modelName: check.model.displayName ?? check.model.name, experts: modelDims(check.model).experts?.routed ?? 0, kvExtent: kvExtent(check) });
}

/** Refuses a precision the board does not run, naming both. */
function checkPrecision(model: Model, target: CompileTarget): void {
  const precision = model.mapping.precision;
  const reason = target.refusePrecision(precision);
  if (reason === undefined) return;
  throw new ModelError({ what: `${target.boardName} does not run ${model.displayName ?? model.name} at precision ${precisionName(precision)}`, detail: `${reason}.` });
}

/**
 * The preset {@link precisionOnBoard} runs a model at where that is not the
 * model's own (a GPU given FlightLLM's int8 mapping runs FP16; FlightLLM's
 * boards quantise a bfloat16 checkpoint to FlightLLM's preset); undefined
 * where the model runs at its own.
 */
export function boardDefaultPrecision(model: Model, target: CompileTarget): string | undefined {
  const chosen = precisionOnBoard(model, target);
  return chosen.reason === undefined ? undefined : chosen.precision.preset;
}

/** `W4A16`, or `W4A16 with an int8 KV cache` where the cache departs from the preset's. */
export function precisionName(precision: Precision): string {
  const presetCache = PRECISION_PRESETS[precision.preset].kvCache;
  return precision.kvCache === presetCache ? precision.preset : `${precision.preset} with a ${precision.kvCache} KV cache`;
}

/**
 * Every dimension the matrix engine tiles must be a whole number of blocks
 * (a router's expert scores are padded to them instead), and latent
 * attention needs a kind that runs per-head products.
 */
function checkForHardware(model: Model, target: CompileTarget): Issue[] {
  const d = modelDims(model);
  const block = target.blockSize;
  const dims: Array<[string, number]> = [
    ['architecture.hidden_size', d.hidden],
    ['architecture.intermediate_size', d.intermediate],
    ['architecture.head_dim', d.headDim],
    ['architecture.vocab_size', d.vocab],
    ...(d.experts === undefined ? [] : ([['architecture.moe_intermediate_size', d.experts.intermediate]] as Array<[string, number]>)),
    ...(d.experts === undefined || d.experts.shared === 0 ? [] : ([['architecture.shared_expert_intermediate_size', d.experts.sharedIntermediate]] as Array<[string, number]>)),
  ];
  const latent: Issue[] =
    d.latent === undefined || target.groupedLinear === true
      ? []
      : [{ path: 'architecture.kv_lora_rank', message: `multi-head latent attention is not lowered for ${target.boardName}'s kind of hardware: its absorbed up-projections are one weight matrix per head, and this kind runs one matrix per linear layer; run the model on a GPU or ASIC board (kind roofline)` }];
  const untiled = dims
    .filter(([, value]) => value % block !== 0)
    .map(([path, value]) => ({ path, message: `${value} is not a multiple of the accelerator's block size ${block} (${target.blockSizeField})` }));
  return [...latent, ...untiled];
}

function checkLength(length: { stage: Stage; requested: number; tokens: number; limit: TokenLimit }): Issue[] {
  const issues: Issue[] = [];
  if (!Number.isInteger(length.requested) || length.requested < 1) issues.push({ path: 'tokens', message: `expected a positive integer, got ${length.requested}` });
  else if (length.tokens > length.limit.tokens) issues.push({ path: 'tokens', message: `${length.tokens}${length.tokens === length.requested ? '' : ` (${length.requested} padded)`} tokens exceed ${length.limit.owner}` });
  else if (length.stage === 'decode' && length.tokens < 2) issues.push({ path: 'tokens', message: 'a decode step needs a context of at least 2 tokens (one of them cached)' });
  // A one-token prompt has no matrix-matrix form: it is a step of its own ({ batch: [{ newTokens: 1, context: 0 }] }).
  else if (length.stage === 'prefill' && length.tokens < 2) issues.push({ path: 'tokens', message: 'a prefill needs at least 2 tokens; compile a one-token prompt as a batch' });
  return issues;
}

function throwIfAny(issues: readonly Issue[], what: string): void {
  if (issues.length > 0) throw new ModelError({ what, issues });
}
