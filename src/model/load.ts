import { basename, extname } from 'node:path';
import { ModelError, type Issue } from '../errors.js';
import { deepFreeze } from '../util/freeze.js';
import { resolveShipped, shippedNames, type ShippedFolder } from '../util/shipped.js';
import { parseYaml, readTextFile } from '../util/yaml.js';
import { zodIssues } from '../util/zod-issues.js';
import { ArchitectureSchema, ModelSchema, type Model } from './schema.js';

export interface LoadedModel {
  readonly model: Model;
  /** What was assumed because the file did not say (a raw Hugging Face config says nothing of the mapping). */
  readonly assumptions: readonly string[];
}

/** The model descriptions in ir/. */
const SHIPPED_MODELS: ShippedFolder = { folder: 'ir', what: 'model description' };

/** The models that `loadModel` takes by name: `llama2-7b`, `qwen2.5-7b`, … */
export function shippedModelNames(): string[] {
  return shippedNames(SHIPPED_MODELS);
}

/** The file a model is read from, with its text: what a result computed on the model depends on. */
export function modelSource(pathOrName: string): { readonly path: string; readonly text: string } {
  const path = resolveShipped(pathOrName, SHIPPED_MODELS, ModelError);
  return { path, text: readTextFile(path, ModelError, 'model description') };
}

/**
 * Reads a model description: ours (YAML or JSON with `architecture` and
 * `mapping`), or a Hugging Face config.json, which gets the default mapping;
 * given by path or by the name of a shipped model (`qwen2.5-7b`).
 */
export function loadModel(pathOrName: string): LoadedModel {
  const path = resolveShipped(pathOrName, SHIPPED_MODELS, ModelError);
  const text = readTextFile(path, ModelError, 'model description');
  const raw = parseYaml(text, path, ModelError, 'model description');
  return parseModel(raw, { file: path, name: basename(path, extname(path)) });
}

/** Validates an in-memory model description in either format. */
export function parseModel(raw: unknown, options: { file?: string; name?: string } = {}): LoadedModel {
  if (isHuggingFaceConfig(raw)) return fromHuggingFace(raw, options);
  const parsed = ModelSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ModelError({ what: 'invalid model description', file: options.file, issues: zodIssues(parsed.error) });
  const model = parsed.data;
  throwIfAny(checkArchitecture(model), options.file);
  return { model: deepFreeze(model), assumptions: [] };
}

function isHuggingFaceConfig(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && 'hidden_size' in raw && !('architecture' in raw);
}

/** Model types whose query, key and value projections always carry biases. */
const QKV_BIAS_MODEL_TYPES = new Set(['qwen2']);

function fromHuggingFace(raw: Record<string, unknown>, options: { file?: string; name?: string }): LoadedModel {
  const known = Object.keys(ArchitectureSchema.shape);
  const picked = Object.fromEntries(Object.entries(raw).filter(([key]) => known.includes(key)));
  const assumptions: string[] = [];
  if (picked['attention_bias'] === undefined && QKV_BIAS_MODEL_TYPES.has(String(raw['model_type']))) {
    picked['attention_bias'] = true;
    assumptions.push(`attention_bias: true (model_type ${String(raw['model_type'])} has query, key and value biases)`);
  }
  const pathName = typeof raw['_name_or_path'] === 'string' ? basename(raw['_name_or_path']) : undefined;
  const name = (pathName ?? options.name ?? 'model').toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  const parsed = ModelSchema.safeParse({ name, source: options.file, architecture: picked }, { reportInput: true });
  if (!parsed.success) throw new ModelError({ what: 'invalid Hugging Face config', file: options.file, issues: zodIssues(parsed.error, ['architecture']).map(stripPrefix) });
  assumptions.push(
    `name: ${name}`,
    'precision: int8 weights, activations and KV cache, int32 biases',
    'weights dense (no pruning), no FSB streams',
    'attention masks: dense (causal)',
    'maxTokens: the hardware maximum or max_position_embeddings, whichever is smaller',
  );
  throwIfAny(checkArchitecture(parsed.data), options.file);
  return { model: deepFreeze(parsed.data), assumptions };
}

function stripPrefix(issue: Issue): Issue {
  return { path: issue.path.replace(/^architecture\./, ''), message: issue.message };
}

/** Rules between architecture fields that any accelerator needs. */
export function checkArchitecture(model: Model): Issue[] {
  const a = model.architecture;
  const issues: Issue[] = [];
  const kvHeads = a.num_key_value_heads ?? a.num_attention_heads;
  if (a.hidden_size % a.num_attention_heads !== 0) {
    issues.push({ path: 'architecture.num_attention_heads', message: `${a.num_attention_heads} heads must divide hidden_size ${a.hidden_size}` });
  }
  if (a.num_attention_heads % kvHeads !== 0) {
    issues.push({ path: 'architecture.num_key_value_heads', message: `${kvHeads} key/value heads must divide num_attention_heads ${a.num_attention_heads}` });
  }
  return issues;
}

function throwIfAny(issues: readonly Issue[], file: string | undefined): void {
  if (issues.length > 0) throw new ModelError({ what: 'invalid model description', file, issues });
}
