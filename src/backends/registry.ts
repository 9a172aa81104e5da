import type { CompileTarget } from '../compiler/target.js';
import type { Issue } from '../errors.js';
import type { Ir } from '../ir/index.js';
import { zodIssues } from '../util/zod-issues.js';
import type { BoardDescription, HardwareBackend, SimulationOptions } from './backend.js';
import { dpuHostBackend } from './dpu-host/index.js';
import { flightllmBackend } from './flightllm/index.js';
import type { Profile } from './profile.js';
import { rooflineBackend } from './roofline/index.js';

/*
 * The registry of hardware kinds: one backend per kind, each in its own
 * folder. Everything that depends on the kind of a board asks its backend;
 * the union of board descriptions and the schema of a board file follow
 * from this list. A new kind is a folder and one line below, or, without
 * touching the package, a call of `registerBackend`.
 */

const BUILT_IN = [flightllmBackend, dpuHostBackend, rooflineBackend] as const;

type BoardOf<B> = B extends HardwareBackend<infer H> ? H : never;

/** A validated, frozen hardware description of any built-in kind, told apart by `kind`. */
export type Hardware = BoardOf<(typeof BUILT_IN)[number]>;
export type HardwareKind = Hardware['kind'];

// A backend is used only with boards its own schema accepted, so the registry holds them without their board type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyBackend = HardwareBackend<any>;

const registry = new Map<string, AnyBackend>(BUILT_IN.map((backend) => [backend.kind, backend as AnyBackend]));

/** The kind a description without `kind:` has: FlightLLM's architecture, as in FlightLLM's own files. */
export const DEFAULT_KIND: HardwareKind = 'flightllm';

/** Every registered kind, built-in ones first. */
export function hardwareKinds(): string[] {
  return [...registry.keys()];
}

/**
 * Adds a kind of hardware at run time: boards whose `kind:` names it are
 * validated with its schema and simulated, bounded and costed by it.
 * Refuses a kind that is already registered.
 */
export function registerBackend<H extends BoardDescription>(backend: HardwareBackend<H>): void {
  if (registry.has(backend.kind)) throw new Error(`a hardware kind named "${backend.kind}" is already registered`);
  registry.set(backend.kind, backend as AnyBackend);
}

/** Removes a kind `registerBackend` added (tests); built-in kinds stay. */
export function unregisterBackend(kind: string): void {
  if (BUILT_IN.some((backend) => backend.kind === kind)) throw new Error(`the built-in hardware kind "${kind}" cannot be removed`);
  registry.delete(kind);
}

/** The backend of a board's kind. */
export function backendFor(hw: BoardDescription): HardwareBackend<Hardware> {
  const backend = registry.get(hw.kind);
  if (backend === undefined) throw new Error(`internal: no backend for hardware kind "${hw.kind}"`);
  return backend as HardwareBackend<Hardware>;
}

/** The kind a raw description declares, defaulting to FlightLLM's architecture. */
export function withDefaultKind(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || 'kind' in raw) return raw;
  return { kind: DEFAULT_KIND, ...raw };
}

/** Validates a description with the schema of the kind it names; every problem as data. */
export function parseBoard(raw: unknown): { board: Hardware; issues: [] } | { board: undefined; issues: Issue[] } {
  const kind = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { kind?: unknown }).kind : undefined;
  const backend = typeof kind === 'string' ? registry.get(kind) : undefined;
  if (backend === undefined) {
    return { board: undefined, issues: [{ path: 'kind', message: `unknown kind ${JSON.stringify(kind)}, expected one of ${hardwareKinds().join(', ')}` }] };
  }
  const parsed = backend.schema.safeParse(raw, { reportInput: true });
  return parsed.success ? { board: parsed.data as Hardware, issues: [] } : { board: undefined, issues: zodIssues(parsed.error) };
}

/** Every consistency rule of its kind the hardware breaks. */
export function checkHardware(hw: Hardware): Issue[] {
  const backend = backendFor(hw);
  const issues = backend.check(hw);
  // FPGA power follows a design's resources: a board whose kind or file gives none cannot use it.
  if (hw.energy?.dynamic.model === 'fpga' && !((backend.design?.(hw)?.parts.length ?? 0) > 0)) {
    issues.push({ path: 'energy.dynamic.model', message: 'fpga needs a resource estimate of the design: name the FPGA device (device:) on a kind that estimates its resources (and, for FlightLLM\'s, give resources:)' });
  }
  return issues;
}

/** Everything the compiler must respect on this board: its kind's layout and the board's own name, masks and precisions. */
export function compileTarget(hw: Hardware): CompileTarget {
  const backend = backendFor(hw);
  return {
    ...backend.target(hw),
    boardName: hw.name,
    maskGeometry: backend.maskGeometry(hw),
    refusePrecision: (precision) => backend.refusePrecision(hw, precision),
    defaultPrecision: backend.defaultPrecision?.(hw),
    quantizesCheckpoints: backend.quantizesCheckpoints === true,
  };
}

/** Simulates an IR on any kind of hardware. */
export function simulate(ir: Ir, hw: Hardware, options: SimulationOptions = {}): Profile {
  return backendFor(hw).simulate(ir, hw, options);
}

/** The modules a kind of hardware reports, in order (trace tracks, CSV rows). */
export function moduleNamesOf(hw: Hardware): readonly string[] {
  return backendFor(hw).moduleNames;
}
