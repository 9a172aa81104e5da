import { backendFor } from '../backends/index.js';
import { UserError } from '../errors.js';
import { loadHardware, type Hardware } from '../backends/index.js';
import type { Case, CaseFigures } from './cases.js';
import { profileCases, type ProfileSource } from './profile.js';

/*
 * Which hardware parameters an estimate depends on most: each parameter in
 * turn is changed by a small relative step, the case simulated again, and the
 * change in decode throughput and prefill latency expressed as an
 * elasticity (relative change of the result per relative change of the
 * parameter: 1 means proportional, 0 means no effect).
 */

export interface SensitivityOptions {
  readonly hardwarePath: string;
  /** A software stack applied to the base and to every variant (GPUs and ASICs). */
  readonly stack?: string | undefined;
  /** Overrides applied to the base and to every variant. */
  readonly overrides?: Readonly<Record<string, unknown>> | undefined;
  /** Parameters to perturb; default the backend's `sensitivityKeys`. */
  readonly keys?: readonly string[] | undefined;
  /** Relative change of each parameter, e.g. -0.1 for 10 % less. */
  readonly step: number;
  readonly case: Case;
  readonly source: ProfileSource;
  readonly exact?: boolean | undefined;
  readonly threads?: number | undefined;
  readonly onVariant?: ((done: number, total: number) => void) | undefined;
}

export interface SensitivityRow {
  readonly key: string;
  readonly from: number;
  readonly to: number;
  readonly figures: CaseFigures;
  /** Relative change of decode tokens/s over the relative change of the parameter. */
  readonly decodeElasticity: number;
  /** The same for prefill latency. */
  readonly prefillElasticity: number;
}

export interface Sensitivity {
  readonly hardware: Hardware;
  readonly base: CaseFigures;
  /** Most influential first (by decode elasticity). */
  readonly rows: readonly SensitivityRow[];
}

export async function sensitivity(options: SensitivityOptions): Promise<Sensitivity> {
  const hardware = loadHardware(options.hardwarePath, { overrides: options.overrides, stack: options.stack });
  const keys = options.keys ?? backendFor(hardware).sensitivityKeys;
  const values = keys.map((key) => numberAt(hardware, key, options.hardwarePath));
  const figuresOn = async (hw: Hardware) => (await profileCases({ hardware: hw, cases: [options.case], source: options.source, exact: options.exact, threads: options.threads })).cases[0]!.device;
  const base = await figuresOn(hardware);
  const rows: SensitivityRow[] = [];
  for (const [index, key] of keys.entries()) {
    const from = values[index]!;
    const to = from * (1 + options.step);
    const figures = await figuresOn(loadHardware(options.hardwarePath, { overrides: { ...options.overrides, [key]: to }, stack: options.stack }));
    rows.push({
      key,
      from,
      to,
      figures,
      decodeElasticity: (figures.tokensPerSecond / base.tokensPerSecond - 1) / options.step,
      prefillElasticity: (figures.prefillMs / base.prefillMs - 1) / options.step,
    });
    options.onVariant?.(index + 1, keys.length);
  }
  rows.sort((a, b) => Math.abs(b.decodeElasticity) - Math.abs(a.decodeElasticity) || Math.abs(b.prefillElasticity) - Math.abs(a.prefillElasticity));
  return { hardware, base, rows };
}

/** The number at a dotted key of the loaded hardware. */
function numberAt(hw: Hardware, key: string, file: string): number {
  let node: unknown = hw;
  for (const part of key.split('.')) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  if (typeof node !== 'number') throw new UserError({ what: 'cannot vary a hardware parameter', file, issues: [{ path: key, message: node === undefined ? 'no such key in this hardware' : `expected a number, found ${JSON.stringify(node)}` }] });
  return node;
}
