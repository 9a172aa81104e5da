import { designOf, FPGA_RESOURCES, type Hardware } from '../backends/index.js';

/*
 * The power of an FPGA design (`energy.dynamic.model: fpga`): every part of
 * the design (an engine, its buffers) switches its resources at the board's
 * toggle rate while the modules that drive it are busy, each resource
 * drawing the device's energy per cycle at the design's clock; the clock
 * network draws for every flip-flop whenever the design is clocked. With
 * the device's static power and the memory's energy per byte (src/energy/
 * index.ts) this is the board's power: it follows the design swept (engine
 * sizes, buffers, clock) and the activity the simulation reports.
 */

const PJ = 1e-12;
const HZ_PER_MHZ = 1e6;
const SECONDS_PER_MS = 1e-3;

/** What an FPGA design draws: each part while busy, and the clock network always. */
export interface FpgaPower {
  readonly parts: ReadonlyArray<{ readonly name: string; readonly modules: readonly string[]; readonly busyWatts: number }>;
  readonly clockWatts: number;
}

/** Designs are plain frozen data: a board's power figures are computed once per board object. */
const computed = new WeakMap<Hardware, FpgaPower | null>();

/** The power figures of a board whose energy follows its FPGA design, or undefined for any other board. */
export function fpgaPower(hw: Hardware): FpgaPower | undefined {
  if (hw.energy?.dynamic.model !== 'fpga') return undefined;
  let power = computed.get(hw);
  if (power === undefined) {
    power = powerOf(hw) ?? null;
    computed.set(hw, power);
  }
  return power ?? undefined;
}

function powerOf(hw: Hardware): FpgaPower | undefined {
  const dynamic = hw.energy?.dynamic;
  const design = designOf(hw);
  if (dynamic?.model !== 'fpga' || design === undefined) return undefined;
  const { pjPerCycle, clockPjPerFfCycle } = design.device.power;
  const hz = design.clockMHz * HZ_PER_MHZ;
  const parts = design.parts.map((part) => {
    const pjPerBusyCycle = FPGA_RESOURCES.reduce((sum, resource) => sum + part.resources[resource] * pjPerCycle[resource], 0);
    return { name: part.name, modules: part.modules, busyWatts: pjPerBusyCycle * dynamic.toggleRate * hz * PJ };
  });
  const flipFlops = design.parts.reduce((sum, part) => sum + part.resources.ff, 0);
  return { parts, clockWatts: flipFlops * clockPjPerFfCycle * hz * PJ };
}

/**
 * Energy the design's logic draws over a step of `totalMs` whose modules
 * were busy `modules` ms each: every part for the time its modules were busy
 * (added up, at most the step), the clock network for the whole step, J.
 */
export function fpgaLogicJoules(power: FpgaPower, totalMs: number, modules: Readonly<Record<string, number>>): number {
  let joules = power.clockWatts * totalMs * SECONDS_PER_MS;
  for (const part of power.parts) {
    const busyMs = Math.min(totalMs, part.modules.reduce((sum, module) => sum + (modules[module] ?? 0), 0));
    joules += part.busyWatts * busyMs * SECONDS_PER_MS;
  }
  return joules;
}
