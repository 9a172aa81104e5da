import { precisionOnBoard } from '../compiler/index.js';
import { UsageError } from '../errors.js';
import { PRECISION_PRESETS, PrecisionSchema, type Model, type Precision } from '../model/index.js';
import { zodIssues } from '../util/zod-issues.js';
import { backendFor, compileTarget, type Hardware } from './registry.js';

/*
 * A model as it runs on a board: at the precision asked for, else as
 * precisionOnBoard (src/compiler/precision-fallback.ts) says: its own; the
 * board's default where the board refuses its own (a GPU given FlightLLM's
 * int8 mapping runs FP16) or quantises every checkpoint (a bfloat16 Hugging
 * Face config on the VHK158 runs FlightLLM's preset). The one place the
 * CLI, sweeps and notebooks decide it.
 */

/** What a run asks of the model's precision: a preset (`FP16`, `W4A16`, …) and a KV-cache element type. */
export interface PrecisionRequest {
  /** A preset's name, or a precision written out (`{ preset: W4A16, kvCache: int8 }`, as a sweep spec may). */
  readonly precision?: string | Readonly<Record<string, unknown>> | undefined;
  readonly kvCache?: string | undefined;
}

export interface ModelOnBoard {
  readonly model: Model;
  /** The model as shown: its name, with its precision where it departs from the model file's. */
  readonly label: string;
  /** Where the board's default replaced the model's own precision: what happened, for the user. */
  readonly fallback?: { readonly from: string; readonly to: string; readonly notice: string } | undefined;
}

export function modelOnBoard(model: Model, hardware: Hardware, request: PrecisionRequest = {}): ModelOnBoard {
  const chosen = request.precision === undefined ? precisionOnBoard(model, compileTarget(hardware)) : undefined;
  const preset = chosen?.reason === undefined ? undefined : chosen.precision.preset;
  const name = model.displayName ?? model.name;
  const own = precisionLabel(model.mapping.precision);
  const why = chosen?.reason === 'checkpoint quantised' ? `quantises ${name}'s ${model.checkpoint?.torchDtype ?? own} checkpoint` : `does not run ${name}'s ${own} mapping`;
  const fallback = preset === undefined ? undefined : { from: own, to: preset, notice: `${hardware.name} ${why}; running it at ${preset}, the board's default (--precision to choose)` };
  const running = withPrecision(model, preset === undefined ? request : { ...request, precision: preset });
  return { model: running, label: modelLabel(running, model), ...(fallback === undefined ? {} : { fallback }) };
}

/** The model at the preset and KV cache asked for (either may be left out); the model itself when neither is given. */
export function withPrecision(model: Model, request: PrecisionRequest): Model {
  if (request.precision === undefined && request.kvCache === undefined) return model;
  const { preset, weights, weightBits, activations, kvCache, bias } = model.mapping.precision;
  const asked = request.precision;
  const base = asked === undefined ? { preset, weights, activations, kvCache, bias, ...(weightBits === undefined ? {} : { weightBits }) } : typeof asked === 'string' ? { preset: asked } : asked;
  const parsed = PrecisionSchema.safeParse({ ...base, ...(request.kvCache === undefined ? {} : { kvCache: request.kvCache }) }, { reportInput: true });
  if (!parsed.success) throw new UsageError({ what: 'invalid precision (--precision) or KV-cache type (--kv-cache)', issues: zodIssues(parsed.error) });
  return { ...model, mapping: { ...model.mapping, precision: parsed.data } };
}

/** `W4A16`, or `W4A16, int8 KV cache` when the cache differs from the preset's. */
export function precisionLabel(precision: Precision): string {
  const presetCache = PRECISION_PRESETS[precision.preset].kvCache;
  return precision.kvCache === presetCache ? precision.preset : `${precision.preset}, ${precision.kvCache} KV cache`;
}

/** `LLaMA2-7B`, or `LLaMA2-7B (FP16)` where the model runs at another precision than its file's. */
export function modelLabel(model: Model, asLoaded: Model = model): string {
  const name = model.displayName ?? model.name;
  return model === asLoaded ? name : `${name} (${precisionLabel(model.mapping.precision)})`;
}

/** What tables, figures and titles call a board: its file's `displayName` (`A100 80GB SXM`), else its name in capitals and its kind (`VHK158 FPGA`). */
export function deviceLabel(hardware: Hardware): string {
  if (hardware.displayName !== undefined) return hardware.displayName;
  const kind = backendFor(hardware).deviceLabel;
  return kind === '' ? hardware.name.toUpperCase() : `${hardware.name.toUpperCase()} ${kind}`;
}
