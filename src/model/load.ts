import { basename, extname } from 'node:path';
import { ModelError, type Issue } from '../errors.js';
import { deepFreeze } from '../util/freeze.js';
import { resolveShipped, shippedNames, type ShippedFolder } from '../util/shipped.js';
import { parseYaml, readTextFile } from '../util/yaml.js';
import { zodIssues } from '../util/zod-issues.js';
import { ArchitectureSchema, EXPERT_FIELDS, LATENT_ATTENTION_FIELDS, ModelSchema, type Architecture, type Model } from './schema.js';

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
const QKV_BIAS_MODEL_TYPES = new Set(['qwen2', 'qwen2_moe']);

function fromHuggingFace(raw: Record<string, unknown>, options: { file?: string; name?: string }): LoadedModel {
  const known = Object.keys(ArchitectureSchema.shape);
  const picked: Record<string, unknown> = Object.fromEntries(Object.entries(raw).filter(([key]) => known.includes(key)));
  const assumptions: string[] = [];
  if (picked['attention_bias'] === undefined && QKV_BIAS_MODEL_TYPES.has(String(raw['model_type']))) {
    picked['attention_bias'] = true;
    assumptions.push(`attention_bias: true (model_type ${String(raw['model_type'])} has query, key and value biases)`);
  }
  assumptions.push(...expertFields(raw, picked));
  const name = huggingFaceName(raw, options);
  const checkpoint = checkpointPrecision(raw);
  const described = { name, source: options.file, architecture: picked, ...(checkpoint === undefined ? {} : { mapping: { precision: checkpoint.preset }, checkpoint: checkpoint.checkpoint }) };
  const parsed = ModelSchema.safeParse(described, { reportInput: true });
  if (!parsed.success) throw new ModelError({ what: 'invalid Hugging Face config', file: options.file, issues: zodIssues(parsed.error, ['architecture']).map(stripPrefix) });
  assumptions.push(
    `name: ${name}`,
    checkpoint === undefined ? "precision: FlightLLM's mapping (int8 weights, activations and KV cache, int32 biases); the config gives no torch_dtype" : `precision: ${checkpoint.preset}, ${checkpoint.why}`,
    'weights dense (no pruning), no FSB streams',
    'attention masks: dense (causal)',
    'maxTokens: the hardware maximum or max_position_embeddings, whichever is smaller',
  );
  if (picked['n_routed_experts'] !== undefined) assumptions.push('expert load: uniform (every routed expert equally likely; --expert-load to change)');
  throwIfAny(checkArchitecture(parsed.data), options.file);
  return { model: deepFreeze(parsed.data), assumptions };
}

function huggingFaceName(raw: Record<string, unknown>, options: { name?: string }): string {
  const pathName = typeof raw['_name_or_path'] === 'string' ? basename(raw['_name_or_path']) : undefined;
  return (pathName ?? options.name ?? 'model').toLowerCase().replace(/[^a-z0-9._-]/g, '-');
}

/**
 * Maps a family's names for its experts onto ours (DeepSeek's): Mixtral's
 * num_local_experts, whose experts are intermediate_size wide; Qwen-MoE's
 * num_experts. Layer-selection fields of a config with no experts are
 * dropped. Returns what was read, for the assumptions list.
 */
function expertFields(raw: Record<string, unknown>, picked: Record<string, unknown>): string[] {
  const routed = raw['n_routed_experts'] ?? raw['num_experts'] ?? raw['num_local_experts'];
  if (routed === undefined || routed === null || routed === 0) {
    for (const field of EXPERT_FIELDS) delete picked[field];
    return [];
  }
  picked['n_routed_experts'] = routed;
  const notes: string[] = [];
  if (raw['n_routed_experts'] === undefined) notes.push(`n_routed_experts: ${String(routed)} (from ${raw['num_experts'] === undefined ? 'num_local_experts' : 'num_experts'})`);
  if (picked['moe_intermediate_size'] === undefined) {
    picked['moe_intermediate_size'] = raw['intermediate_size'];
    notes.push(`moe_intermediate_size: ${String(raw['intermediate_size'])} (each expert is intermediate_size wide)`);
  }
  // Qwen2-MoE writes 0 for "no shared expert"; our field is a width.
  if (picked['shared_expert_intermediate_size'] === 0) delete picked['shared_expert_intermediate_size'];
  if (raw['moe_layer_freq'] !== undefined && raw['moe_layer_freq'] !== 1) {
    throw new ModelError({ what: 'unsupported Hugging Face config', issues: [{ path: 'moe_layer_freq', message: `only 1 (every layer after first_k_dense_replace sparse) is supported, got ${String(raw['moe_layer_freq'])}` }] });
  }
  return notes;
}

/** Precision presets of a checkpoint's `torch_dtype`; float32 checkpoints are served at half precision. */
const TORCH_DTYPE_PRESETS: Readonly<Record<string, string>> = { float16: 'FP16', bfloat16: 'BF16', float32: 'FP16', float8_e4m3fn: 'FP8' };

/**
 * The precision a Hugging Face config says its checkpoint holds: a
 * quantisation method where it names one (fp8, GPTQ, AWQ), else its
 * `torch_dtype`; undefined when it says neither.
 */
function checkpointPrecision(raw: Record<string, unknown>): { preset: string; why: string; checkpoint: Model['checkpoint'] } | undefined {
  const quantization = raw['quantization_config'] as { quant_method?: unknown; bits?: unknown } | undefined;
  const method = typeof quantization?.quant_method === 'string' ? quantization.quant_method.toLowerCase() : undefined;
  const torchDtype = typeof raw['torch_dtype'] === 'string' ? raw['torch_dtype'] : undefined;
  const checkpoint = { ...(torchDtype === undefined ? {} : { torchDtype }), ...(method === undefined ? {} : { quantMethod: method }) };
  const quantized = method === 'fp8' ? 'FP8' : method === 'gptq' ? (quantization?.bits === 8 ? 'GPTQ-W8A16' : 'GPTQ-W4A16') : method === 'awq' ? 'AWQ-W4A16' : undefined;
  if (quantized !== undefined) return { preset: quantized, why: `the checkpoint's quantization_config (quant_method ${method})`, checkpoint };
  const preset = torchDtype === undefined ? undefined : TORCH_DTYPE_PRESETS[torchDtype];
  if (preset === undefined) return undefined;
  return { preset, why: torchDtype === 'float32' ? 'a float32 checkpoint served at half precision' : `the checkpoint's torch_dtype ${torchDtype}`, checkpoint };
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
  return [...issues, ...checkExperts(a), ...checkLatentAttention(a)];
}

function checkExperts(a: Architecture): Issue[] {
  const path = (field: string) => `architecture.${field}`;
  if (a.n_routed_experts === undefined) {
    return EXPERT_FIELDS.filter((field) => a[field] !== undefined).map((field) => ({ path: path(field), message: 'describes a mixture of experts; set n_routed_experts too, or leave it out' }));
  }
  const issues: Issue[] = [];
  for (const field of ['num_experts_per_tok', 'moe_intermediate_size'] as const) {
    if (a[field] === undefined) issues.push({ path: path(field), message: 'a mixture of experts (n_routed_experts) needs it' });
  }
  if (a.num_experts_per_tok !== undefined && a.num_experts_per_tok > a.n_routed_experts) {
    issues.push({ path: path('num_experts_per_tok'), message: `${a.num_experts_per_tok} experts per token exceed the ${a.n_routed_experts} routed experts` });
  }
  if (a.first_k_dense_replace !== undefined && a.first_k_dense_replace > a.num_hidden_layers) {
    issues.push({ path: path('first_k_dense_replace'), message: `${a.first_k_dense_replace} dense layers exceed the model's ${a.num_hidden_layers}` });
  }
  (a.mlp_only_layers ?? []).forEach((layer, index) => {
    if (layer >= a.num_hidden_layers) issues.push({ path: `${path('mlp_only_layers')}[${index}]`, message: `layer ${layer} does not exist: layers are 0 to ${a.num_hidden_layers - 1}` });
  });
  return issues;
}

function checkLatentAttention(a: Architecture): Issue[] {
  const path = (field: string) => `architecture.${field}`;
  if (a.kv_lora_rank === undefined) {
    return LATENT_ATTENTION_FIELDS.filter((field) => a[field] !== undefined && a[field] !== null).map((field) => ({ path: path(field), message: 'describes latent attention; set kv_lora_rank too, or leave it out' }));
  }
  return (['qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim'] as const)
    .filter((field) => a[field] === undefined)
    .map((field) => ({ path: path(field), message: 'latent attention (kv_lora_rank) needs it' }));
}

function throwIfAny(issues: readonly Issue[], file: string | undefined): void {
  if (issues.length > 0) throw new ModelError({ what: 'invalid model description', file, issues });
}
