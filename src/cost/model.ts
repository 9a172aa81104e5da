import { batchRows, checkBatch, stepFormOn, type BatchShape } from '../batch.js';
import { backendFor, compileTarget, type Hardware, type HardwareBackend } from '../backends/index.js';
import { checkKvFits, compileModel, linearRoles, masksFor, planMemory, tokenLimit, type CompileTarget, type KvCapacity, type LinearEngine, type LinearEngines, type LinearRole } from '../compiler/index.js';
import { ModelError } from '../errors.js';
import type { MaskLookup } from '../ir/index.js';
import { isSparseLayer, MATRIX_ROLES, modelDims, summarizeRouting, type ExpertStepSummary, type Model, type ModelDims } from '../model/index.js';
import type { Bound } from '../bound/index.js';
import type { Profile } from '../backends/index.js';
import { z } from 'zod';
import { schemaCheck, type ContentCache } from '../util/cache.js';
import { contentHash } from '../util/hash.js';
import { TOOL_VERSION } from '../version.js';
import { probe, type PartLayout, type ProbeContext } from './probe.js';
import { bilinear, bracket, RowTable, stored, type Axis, type ProbeStore } from './tables.js';
import { powerLimitedMs, stepEnergy, type EnergyFigures } from '../energy/index.js';
import { measuredEnergy, measureStep, moduleBusyMs, type MeasuredStep } from './measure.js';
import { addScaled, boundComputeIndex, boundMemoryIndex, costLength, dynamicEnergyIndex, FIRST_MODULE, lerp, TIME } from './vector.js';

/*
 * What one accelerator step costs, on any kind of hardware, two ways:
 * - exact: the step is compiled and simulated whole (instruction by
 *   instruction on FlightLLM's architecture);
 * - fast: the step is assembled from parts simulated exactly once and kept
 *   in tables (token-wise layers by rows, attention by chunk and context,
 *   the head by rows), so a second cost of a similar step takes microseconds.
 * Where a step has more than one row, each projection runs on the engine
 * that is faster for it at that many rows, and the result says which.
 */

export interface StepCost {
  readonly path: 'exact' | 'fast';
  /** Latency of the step, ms. */
  readonly totalMs: number;
  /** The physical bound of the step: no schedule on this hardware is faster. */
  readonly boundMs: number;
  readonly bound: { readonly memoryMs: number; readonly computeMs: number; readonly limit: 'memory' | 'compute' };
  /** Busy time of each module, ms. */
  readonly modules: Readonly<Record<string, number>>;
  /** The engine each linear role of the model runs on. */
  readonly engines: LinearEngines;
  /** Rows of the token-wise layers: the new tokens of every sequence. */
  readonly rows: number;
  /** Which routed experts the step runs, and the load assumption behind it; undefined for a dense model. */
  readonly experts?: ExpertStepSummary | undefined;
  /** Energy of the step beyond idle power from the work it does, J (0 where the board's energy follows utilisation). */
  readonly dynamicJ: number;
  /** Energy of the step; undefined where the board describes no energy. */
  readonly energy: EnergyFigures | undefined;
}

/** An exact step cost, with the simulation and the bound it came from. */
export interface ExactStepCost extends StepCost {
  readonly path: 'exact';
  /** Per-module and per-step figures of the simulation. */
  readonly profile: Profile;
  /** The bound with the bytes and operations behind it. */
  readonly physical: Bound;
  /** The measurement all of the above come from. */
  readonly measured: MeasuredStep;
}

export interface StepCostOptions {
  readonly hardware: Hardware;
  readonly model: Model;
  /** Attention masks and a digest of their content; default the masks generated from the model. */
  readonly masks?: { readonly lookup: MaskLookup; readonly digest: string } | undefined;
  /** Where exact part costs are kept between runs, keyed by the content of everything they depend on. */
  readonly cache?: ContentCache | undefined;
  /** Rows of the largest step activation slots are reserved for (planMemory); default vLLM's 2048. */
  readonly maxBatchedTokens?: number | undefined;
  /**
   * Whether the step ends in the final norm and the LM head; default true.
   * A pipeline stage before the last hands its hidden states on instead.
   */
  readonly head?: boolean | undefined;
}

export interface StepCostModel {
  readonly hardware: Hardware;
  readonly model: Model;
  /** Modules reported, in order. */
  readonly moduleNames: readonly string[];
  /** The longest sequence a step may reach. */
  readonly maxTokens: number;
  /** Whose limit that is (the board's or the model's), for messages. */
  readonly maxTokensOwner: string;
  /** The KV cache the deployment holds; a batch beyond it is refused. */
  readonly capacity: KvCapacity;
  /** Compiles and simulates the whole step. */
  exact(batch: BatchShape): ExactStepCost;
  /** Adds the step up from exactly simulated parts. */
  fast(batch: BatchShape): StepCost;
  /** Writes part costs found since the last flush to the cache. */
  flush(): void;
}

/**
 * Bump when what a stored part cost means changes. The layout of a stored
 * cost (the board's module names) is in the key as well, so a kind that
 * gains a module never reads costs stored without it.
 */
const COST_REVISION = 6;

/** Every linear role of a transformer layer, each a group of the token-wise part, in a fixed order (the projections first, as they run). */
const TOKENWISE_ROLES: readonly Exclude<LinearRole, 'lmHead'>[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down', ...MATRIX_ROLES];
/** Routed experts run over rows the expert load shares out: their cost has no period in the step's rows. */
const ROUTED_ROLES: ReadonlySet<LinearRole> = new Set(['expertGate', 'expertUp', 'expertDown']);

const TOKENWISE_INPUT = 0;
const TOKENWISE_OTHER = TOKENWISE_ROLES.length + 1;
const TOKENWISE: PartLayout = {
  groups: [['input'], ...TOKENWISE_ROLES.map((role) => [role]), ['attn_norm', 'mlp_norm', 'rope', 'residual', 'silu', 'gate_mul', 'router_softmax', 'latent_norm', 'expert_combine']],
  boundGroup: TOKENWISE_OTHER,
  countedElsewhere: [],
};
const ATTENTION: PartLayout = { groups: [['concat'], ['qkt', 'softmax', 'qktv']], boundGroup: 1, countedElsewhere: ['input'] };
const HEAD: PartLayout = { groups: [['lmHead'], ['final_norm', 'output']], boundGroup: 1, countedElsewhere: ['input'] };

/**
 * How a step's token-wise layers and head are lowered: `prompt-form`, a lone
 * prompt in FlightLLM's prefill form (the head over every prompt row), or
 * `batched`, the head over each sequence's last row.
 */
type Variant = 'prompt-form' | 'batched';

/** Contexts between probes where attention is not tiled. */
const UNTILED_CONTEXT_STEP = 16;

/** Contexts between probes of a prompt chunk's attention where the board has no mask cells to follow. */
const DENSE_CHUNK_CONTEXT_STEP = 64;

/** Layers a prompt chunk's attention is simulated in (see attentionProbe). */
const CHUNK_ATTENTION_LAYERS = 4;

/** Transformer layers alike in their token-wise part: the first of them, probed for all, and how many there are. */
interface LayerKind {
  readonly layer: number;
  readonly count: number;
}

/** Dense and sparse (mixture-of-experts) layers, in order of first appearance. */
function layerKinds(d: ModelDims): LayerKind[] {
  const kinds = new Map<boolean, { layer: number; count: number }>();
  for (let layer = 0; layer < d.layers; layer++) {
    const kind = kinds.get(isSparseLayer(d, layer));
    if (kind === undefined) kinds.set(isSparseLayer(d, layer), { layer, count: 1 });
    else kind.count++;
  }
  return [...kinds.values()];
}

/** `count` layers evenly spread over `layers` (all of them when there are fewer). */
function spreadLayers(layers: number, count: number): number[] {
  if (layers <= count) return Array.from({ length: layers }, (_, l) => l);
  return Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * layers) / count));
}

export function createStepCostModel(options: StepCostOptions): StepCostModel {
  return new StepCosts(options);
}

class StepCosts implements StepCostModel {
  readonly hardware: Hardware;
  readonly model: Model;
  readonly moduleNames: readonly string[];
  readonly maxTokens: number;
  readonly maxTokensOwner: string;
  readonly capacity: KvCapacity;
  private readonly backend: HardwareBackend<Hardware>;
  /** What the compiler respects on this board (fixed for the model's life; the fast path asks per step). */
  private readonly target: CompileTarget;
  private readonly context: ProbeContext;
  private readonly width: number;
  private readonly layers: number;
  private readonly dims: ModelDims;
  private readonly kinds: readonly LayerKind[];
  /** The token-wise linear roles the model has. */
  private readonly roles: readonly Exclude<LinearRole, 'lmHead'>[];
  private readonly store: ProbeStore;
  private readonly cacheKey: string;
  private readonly initialEntries: number;
  private readonly rowTables = new Map<string, RowTable>();
  private readonly bases = new Map<number, { vector: Float64Array; engines: LinearEngines }>();
  /** Attention parts summed over their groups, by context (decodes) and by chunk and context. */
  private readonly decodeAttention = new Map<number, Float64Array>();
  private readonly chunkAttention = new Map<string, Float64Array>();
  private readonly contextUnit: number;
  private readonly attentionTiled: boolean;
  private readonly chunkAxes: { readonly rows: Axis; readonly context: Axis };

  constructor(private readonly options: StepCostOptions) {
    const { hardware, model } = options;
    this.hardware = hardware;
    this.model = model;
    this.backend = backendFor(hardware);
    this.moduleNames = this.backend.moduleNames;
    this.target = compileTarget(hardware);
    const limit = tokenLimit(model, this.target);
    this.maxTokens = limit.tokens;
    this.maxTokensOwner = limit.owner;
    this.capacity = planMemory(model, this.target, { maxBatchedTokens: options.maxBatchedTokens });
    const masks = options.masks ?? defaultMasks(model, this.target);
    this.context = { model, hardware, backend: this.backend, masks: masks?.lookup, maxTokens: this.maxTokens };
    this.width = costLength(this.moduleNames.length);
    this.dims = modelDims(model);
    this.layers = this.dims.layers;
    this.kinds = layerKinds(this.dims);
    const present = new Set(linearRoles(this.dims));
    this.roles = TOKENWISE_ROLES.filter((role) => present.has(role));
    // Tiled attention (a block size above one) costs the same for every context in a block: probe per block.
    // Untiled attention grows smoothly with the context: probe every 16 tokens and interpolate.
    const block = this.target.blockSize;
    this.attentionTiled = block > 1;
    this.contextUnit = this.attentionTiled ? block : UNTILED_CONTEXT_STEP;
    // Attention rows are tiled in blocks; contexts on the grid of the board's mask cells interpolate smoothly (dense boards: every 64 tokens).
    const contextUnit = this.backend.maskGeometry(hardware)?.maskBlockTokens ?? DENSE_CHUNK_CONTEXT_STEP;
    this.chunkAxes = { rows: { unit: block, fineUntil: 8, coarse: 4 }, context: { unit: contextUnit, fineUntil: 0, coarse: 1 } };
    this.cacheKey = contentHash(TOOL_VERSION, String(COST_REVISION), this.moduleNames.join(','), JSON.stringify(model), JSON.stringify(hardware), masks?.digest ?? 'no masks');
    this.store = loadStore(options.cache, this.cacheKey);
    this.initialEntries = this.store.size;
  }

  fast(batch: BatchShape): StepCost {
    this.check(batch);
    const rows = batchRows(batch);
    const variant: Variant = stepFormOn(batch, this.target).kind === 'prefill' ? 'prompt-form' : 'batched';
    const base = this.baseAt(variant, rows, batch.sequences.length);
    const total = Float64Array.from(base.vector);
    for (const s of batch.sequences) addScaled(total, s.newTokens === 1 ? this.decodeAttentionAt(s.context) : this.chunkAttentionAt(s.newTokens, s.context));
    return this.result(total, { path: 'fast', rows, engines: base.engines });
  }

  /**
   * Everything but attention: the input, every layer's token-wise part (one
   * layer of each kind probed, scaled to the layers of its kind), the head.
   * Kept per shape of the step.
   */
  private baseAt(variant: Variant, rows: number, sequences: number): { vector: Float64Array; engines: LinearEngines } {
    const key = ((variant === 'prompt-form' ? 1 : 0) * 65_536 + sequences) * 2 ** 24 + rows;
    let base = this.bases.get(key);
    if (base !== undefined) return base;
    const vector = new Float64Array(this.width);
    const engines: Partial<Record<LinearRole, LinearEngine>> = {};
    this.kinds.forEach((kind, index) => {
      const tokenwise = this.tokenwiseFast(variant, rows, sequences, kind.layer);
      if (index === 0) addScaled(vector, tokenwise.vector, 1, TOKENWISE_INPUT * this.width, this.width);
      addScaled(vector, tokenwise.vector, kind.count, TOKENWISE_OTHER * this.width, this.width);
      for (const role of this.roles) addScaled(vector, tokenwise.chosen[role]!, kind.count);
      Object.assign(engines, tokenwise.engines);
    });
    let lmHead: LinearEngine = 'mm';
    if (this.options.head !== false) {
      const head = this.headFast(variant, variant === 'prompt-form' ? rows : sequences);
      addScaled(vector, head.vector, 1, this.width, this.width);
      addScaled(vector, head.lmHead);
      lmHead = head.engine;
    }
    base = { vector, engines: { ...this.inRoleOrder(engines), lmHead } };
    this.bases.set(key, base);
    return base;
  }

  /** Engines listed in the order the model's roles run. */
  private inRoleOrder(engines: Partial<Record<LinearRole, LinearEngine>>): Partial<Record<LinearRole, LinearEngine>> {
    return Object.fromEntries(this.roles.filter((role) => engines[role] !== undefined).map((role) => [role, engines[role]]));
  }

  exact(batch: BatchShape): ExactStepCost {
    this.check(batch);
    const form = stepFormOn(batch, this.target);
    const rows = batchRows(batch);
    const linearEngines = form.kind === 'batched' ? this.exactEngines(batch, rows) : undefined;
    const parts = this.options.head === false ? { tokenwise: 'all' as const, attention: 'all' as const, head: false } : undefined;
    const compiled = compileModel(this.model, { batch, target: this.target, linearEngines, parts });
    const label = `step ${batch.sequences.map((s) => `${s.newTokens}@${s.context}`).join(' ')}`;
    const measured = measureStep(compiled.ir, this.hardware, { masks: this.context.masks, label });
    const { profile, bound, dynamicJ } = measured;
    return {
      path: 'exact',
      experts: this.expertSummary(rows),
      totalMs: measured.totalMs,
      boundMs: bound.boundMs,
      dynamicJ,
      energy: measuredEnergy(measured, this.hardware),
      bound: { memoryMs: bound.memoryMs, computeMs: bound.computeMs, limit: bound.limit },
      modules: moduleBusyMs(profile, this.moduleNames),
      engines: compiled.engines,
      rows,
      profile,
      physical: bound,
      measured,
    };
  }

  flush(): void {
    if (this.options.cache === undefined || this.store.size === this.initialEntries) return;
    const entries = Object.fromEntries([...this.store].map(([key, value]) => [key, Array.from(value)]));
    this.options.cache.set('step-costs', this.cacheKey, { entries });
  }

  private check(batch: BatchShape): void {
    const issues = checkBatch(batch, this.maxTokens, this.maxTokensOwner);
    if (issues.length > 0) throw new ModelError({ what: 'invalid batch', issues });
    checkKvFits(batch, this.capacity, this.model.displayName ?? this.model.name);
  }

  /** The routed experts a step of `rows` rows runs, for the report. */
  private expertSummary(rows: number): ExpertStepSummary | undefined {
    return this.dims.experts === undefined ? undefined : summarizeRouting(this.dims.experts, rows);
  }

  /** Token-wise layers of transformer layer `layer` at `rows` rows, each linear role on its faster engine. */
  private tokenwiseFast(variant: Variant, rows: number, sequences: number, layer: number): { vector: Float64Array; chosen: Partial<Record<LinearRole, Float64Array>>; engines: Partial<Record<LinearRole, LinearEngine>> } {
    const lanes = Math.min(sequences, this.backend.parallelSequences(this.hardware), rows);
    const mm = rows > 1 ? this.rowTable('tokenwise', { variant, lanes, engine: 'mm', layer }).at(rows) : undefined;
    const mv = variant === 'batched' ? this.rowTable('tokenwise', { variant, lanes, engine: 'mv', layer }).at(rows) : undefined;
    const vector = (mm ?? mv)!;
    const chosen: Partial<Record<LinearRole, Float64Array>> = {};
    const engines: Partial<Record<LinearRole, LinearEngine>> = {};
    const here = new Set(linearRolesOfLayer(this.dims, layer));
    for (const role of this.roles) {
      const group = (TOKENWISE_ROLES.indexOf(role) + 1) * this.width;
      const pick = faster(mm, mv, group);
      if (here.has(role)) engines[role] = pick === mm ? 'mm' : 'mv';
      chosen[role] = pick.subarray(group, group + this.width);
    }
    return { vector, chosen, engines };
  }

  /** The head at `rows` rows (one per sequence; every prompt row in FlightLLM's prefill). */
  private headFast(variant: Variant, rows: number): { vector: Float64Array; lmHead: Float64Array; engine: LinearEngine } {
    const mm = rows > 1 ? this.rowTable('head', { variant, lanes: 1, engine: 'mm', layer: 0 }).at(rows) : undefined;
    const mv = variant === 'batched' ? this.rowTable('head', { variant, lanes: 1, engine: 'mv', layer: 0 }).at(rows) : undefined;
    const vector = (mm ?? mv)!;
    const pick = faster(mm, mv, 0);
    return { vector, lmHead: pick.subarray(0, this.width), engine: pick === mm ? 'mm' : 'mv' };
  }

  /**
   * One decode's attention and KV-cache append at a context. Tiled attention
   * is read as probed at the start of the context's block (every context in
   * a block reads the same tiles); the append, the bound and untiled
   * attention are interpolated (they grow with every token).
   */
  private decodeAttentionAt(context: number): Float64Array {
    let value = this.decodeAttention.get(context);
    if (value !== undefined) return value;
    const unit = this.contextUnit;
    const start = Math.floor(context / unit) * unit;
    const low = this.attentionProbe(1, start);
    if (start === context) value = low;
    else {
      const t = (context - start) / unit;
      const high = this.attentionProbe(1, Math.min(start + unit, this.maxTokens - 1));
      value = lerp(low, high, t);
      const attention = this.width;
      if (this.attentionTiled) for (let i = 0; i < boundMemoryIndex(this.moduleNames.length); i++) value[attention + i] = low[attention + i]!;
    }
    value = this.summed(value);
    this.decodeAttention.set(context, value);
    return value;
  }

  /** A prompt chunk's attention (and append), interpolated over a grid of chunk lengths and contexts. */
  private chunkAttentionAt(newTokens: number, context: number): Float64Array {
    const key = `${newTokens}@${context}`;
    let value = this.chunkAttention.get(key);
    if (value !== undefined) return value;
    const { rows, context: contextAxis } = this.chunkAxes;
    // Attention tiles rows in blocks: a chunk costs what the whole blocks it fills cost, over the same span of keys.
    const blocks = Math.ceil(newTokens / rows.unit);
    const shifted = Math.max(0, context + newTokens - blocks * rows.unit);
    const x = bracket(rows, blocks);
    const y = bracket(contextAxis, shifted / contextAxis.unit);
    value = this.summed(
      bilinear(x, y, (b, c) => {
        const chunk = b * rows.unit;
        const at = Math.min(c * contextAxis.unit, this.maxTokens - chunk);
        return this.attentionProbe(chunk, at);
      }),
    );
    this.chunkAttention.set(key, value);
    return value;
  }

  /** A part's groups added into one cost vector. */
  private summed(groups: Float64Array): Float64Array {
    const out = new Float64Array(this.width);
    for (let offset = 0; offset < groups.length; offset += this.width) addScaled(out, groups, 1, offset, this.width);
    return out;
  }

  /**
   * One sequence's attention and append, every layer. A prompt chunk's
   * attention, the costliest to simulate, is simulated in a sample of
   * layers spread over the model and scaled to all of them: layers differ
   * only in their masks, and attention is a small share of a prefill step.
   */
  private attentionProbe(newTokens: number, context: number): Float64Array {
    return stored(this.store, `attention|${newTokens}|${context}`, () => {
      const sample = newTokens > 1 ? spreadLayers(this.layers, CHUNK_ATTENTION_LAYERS) : undefined;
      const parts = { tokenwise: [], attention: [0], attentionLayers: sample, head: false };
      const vector = probe(this.context, { batch: { sequences: [{ newTokens, context }] }, batchedForm: true, parts, layout: ATTENTION });
      if (sample !== undefined) for (let i = 0; i < vector.length; i++) vector[i]! *= this.layers / sample.length;
      return vector;
    });
  }

  private rowTable(part: 'tokenwise' | 'head', t: { variant: Variant; lanes: number; engine: LinearEngine; layer: number }): RowTable {
    // Layer 0 keeps the name it had before models had more than one kind of layer.
    const name = `${part}|${t.variant}|${t.lanes}|${t.engine}${t.layer === 0 ? '' : `|layer${t.layer}`}`;
    let table = this.rowTables.get(name);
    if (table === undefined) {
      const exact = (rows: number) => stored(this.store, `${name}|${rows}`, () => (part === 'tokenwise' ? this.tokenwiseProbe(t, rows) : this.headProbe(t.variant, t.engine, rows)));
      table = new RowTable(this.rowShape(part, t.engine), exact);
      this.rowTables.set(name, table);
    }
    return table;
  }

  /** How each group of a part grows with rows, from the backend: linear layers by their engine and inner dimension, the rest as vector layers. */
  private rowShape(part: 'tokenwise' | 'head', engine: LinearEngine): { width: number; periods: number[]; affineRows: number; minRows: number } {
    const d = this.dims;
    const structure = (query: { engine: 'mm' | 'mv' | 'vector'; k: number }) => this.backend.rowStructure(this.hardware, query);
    const linear = (k: number) => structure({ engine, k });
    const vector = structure({ engine: 'vector', k: d.hidden });
    const present = new Set(this.roles);
    // A role the model lacks costs nothing at any rows: a period of one row lets it follow the others' probes instead of forcing one at every row.
    const role = (r: Exclude<LinearRole, 'lmHead'>) => {
      if (!present.has(r)) return { periodRows: 1, affineRows: 1 };
      return ROUTED_ROLES.has(r) ? { periodRows: undefined, affineRows: linear(innerDimension(d, r)).affineRows } : linear(innerDimension(d, r));
    };
    const groups = part === 'tokenwise' ? [vector, ...TOKENWISE_ROLES.map(role), vector] : [linear(d.hidden), vector];
    return {
      width: this.width,
      periods: groups.map((g) => g.periodRows ?? Infinity),
      affineRows: Math.max(...groups.map((g) => g.affineRows)),
      minRows: engine === 'mm' ? 2 : 1,
    };
  }

  private tokenwiseProbe(t: { variant: Variant; lanes: number; engine: LinearEngine; layer: number }, rows: number): Float64Array {
    const parts = { tokenwise: [t.layer], attention: [], head: false };
    const batch = t.variant === 'prompt-form' ? { sequences: [{ newTokens: rows, context: 0 }] } : sequencesOverRows(rows, t.lanes);
    return probe(this.context, { batch, parts, layout: TOKENWISE, batchedForm: t.variant === 'batched', linearEngines: allOn(t.engine) });
  }

  private headProbe(variant: Variant, engine: LinearEngine, rows: number): Float64Array {
    const parts = { tokenwise: [], attention: [], head: true };
    const batch = variant === 'prompt-form' ? { sequences: [{ newTokens: rows, context: 0 }] } : { sequences: Array.from({ length: rows }, () => ({ newTokens: 1, context: 0 })) };
    return probe(this.context, { batch, parts, layout: HEAD, batchedForm: variant === 'batched', linearEngines: allOn(engine) });
  }

  /** Each linear role's engine for a batched step, from exact probes of its token-wise layers (one layer of each kind) and head. */
  private exactEngines(batch: BatchShape, rows: number): Record<LinearRole, LinearEngine> {
    const sequences = batch.sequences.length;
    const lanes = Math.min(sequences, this.backend.parallelSequences(this.hardware), rows);
    const engines = { ...allOn('mv') };
    if (rows > 1) {
      for (const { layer } of this.kinds) {
        const name = (engine: LinearEngine) => `tokenwise|batched|${lanes}|${engine}${layer === 0 ? '' : `|layer${layer}`}|${rows}`;
        const probeOn = (engine: LinearEngine) => stored(this.store, name(engine), () => this.tokenwiseProbe({ variant: 'batched', lanes, engine, layer }, rows));
        const [mm, mv] = [probeOn('mm'), probeOn('mv')];
        for (const role of linearRolesOfLayer(this.dims, layer)) engines[role] = faster(mm, mv, (TOKENWISE_ROLES.indexOf(role) + 1) * this.width) === mm ? 'mm' : 'mv';
      }
    }
    if (sequences > 1 && this.options.head !== false) {
      const mm = stored(this.store, `head|batched|1|mm|${sequences}`, () => this.headProbe('batched', 'mm', sequences));
      const mv = stored(this.store, `head|batched|1|mv|${sequences}`, () => this.headProbe('batched', 'mv', sequences));
      engines.lmHead = faster(mm, mv, 0) === mm ? 'mm' : 'mv';
    }
    return engines;
  }

  private result(total: Float64Array, figures: { path: 'fast'; rows: number; engines: LinearEngines }): StepCost {
    const count = this.moduleNames.length;
    const memoryMs = total[boundMemoryIndex(count)]!;
    const computeMs = total[boundComputeIndex(count)]!;
    const modules: Record<string, number> = {};
    for (let index = 0; index < count; index++) modules[this.moduleNames[index]!] = total[FIRST_MODULE + index]!;
    const dynamicJ = total[dynamicEnergyIndex(count)]!;
    // The parts add up to the step; the step as a whole is held to the board's power limit (src/energy).
    const limit = memoryMs >= computeMs ? 'memory' : 'compute';
    const [totalMs, boundMs] = [Math.max(total[TIME]!, powerLimitedMs(this.hardware, dynamicJ, limit)), Math.max(memoryMs, computeMs)];
    const energy = stepEnergy(this.hardware, { totalMs, boundMs, dynamicJ, modules });
    return { path: figures.path, totalMs, boundMs, bound: { memoryMs, computeMs, limit }, modules, engines: figures.engines, rows: figures.rows, experts: this.expertSummary(figures.rows), dynamicJ, energy };
  }
}

/** The faster of two part costs for the group at `offset` (mm wins ties, as FlightLLM's design would run it). */
function faster(mm: Float64Array | undefined, mv: Float64Array | undefined, offset: number): Float64Array {
  if (mm === undefined) return mv!;
  if (mv === undefined) return mm;
  return mv[offset + TIME]! < mm[offset + TIME]! ? mv : mm;
}

function allOn(engine: LinearEngine): Record<LinearRole, LinearEngine> {
  return Object.fromEntries([...TOKENWISE_ROLES, 'lmHead'].map((role) => [role, engine])) as Record<LinearRole, LinearEngine>;
}

/** The token-wise linear roles transformer layer `layer` runs. */
function linearRolesOfLayer(d: ModelDims, layer: number): Array<Exclude<LinearRole, 'lmHead'>> {
  const sparse = isSparseLayer(d, layer);
  const feedForward: ReadonlySet<LinearRole> = new Set(sparse ? ['gate', 'up', 'down'] : ['router', 'sharedGate', 'sharedUp', 'sharedDown', 'expertGate', 'expertUp', 'expertDown']);
  return linearRoles(d).filter((role): role is Exclude<LinearRole, 'lmHead'> => role !== 'lmHead' && !feedForward.has(role));
}

/** Inner dimension (K) of a linear role's product. */
function innerDimension(d: ModelDims, role: Exclude<LinearRole, 'lmHead'>): number {
  const m = d.latent;
  const e = d.experts;
  const inner: Record<Exclude<LinearRole, 'lmHead'>, number | undefined> = {
    q: d.hidden, k: d.hidden, v: d.hidden, o: m === undefined ? d.qWidth : d.heads * m.vHeadDim, gate: d.hidden, up: d.hidden, down: d.intermediate,
    qA: d.hidden, qB: m?.qLoraRank, kvA: d.hidden, absorbK: m?.qkNopeHeadDim, absorbV: m?.kvLoraRank,
    router: d.hidden, sharedGate: d.hidden, sharedUp: d.hidden, sharedDown: e === undefined ? undefined : e.shared * e.sharedIntermediate,
    expertGate: d.hidden, expertUp: d.hidden, expertDown: e?.intermediate,
  };
  // A role the model lacks has no layers: any dimension will do.
  return inner[role] ?? d.hidden;
}

/** `lanes` sequences over `rows` rows: the token-wise layers see only how many rows and sequences there are. */
function sequencesOverRows(rows: number, lanes: number): BatchShape {
  return { sequences: [{ newTokens: rows - lanes + 1, context: 0 }, ...Array.from({ length: lanes - 1 }, () => ({ newTokens: 1, context: 0 }))] };
}

function defaultMasks(model: Model, target: CompileTarget): { lookup: MaskLookup; digest: string } | undefined {
  // Generated masks follow from the model and hardware, both in the cache key.
  const lookup = masksFor(model, target);
  return lookup === undefined ? undefined : { lookup, digest: 'generated' };
}

/** What `flush` writes: per probe, its figures (times, counts, energies), finite and never negative. */
const StepCostsSchema = z.strictObject({ entries: z.record(z.string(), z.array(z.number().finite().nonnegative())) });

function loadStore(cache: ContentCache | undefined, key: string): ProbeStore {
  const saved = cache?.get('step-costs', key, schemaCheck(StepCostsSchema));
  return new Map(Object.entries(saved?.entries ?? {}).map(([k, v]) => [k, Float64Array.from(v)]));
}
