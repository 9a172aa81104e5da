import { backendFor } from '../backends/index.js';
import type { Hardware } from '../backends/index.js';
import type { IrWork } from '../bound/index.js';
import type { Profile } from '../backends/profile.js';
import { fpgaLogicJoules, fpgaPower } from './fpga.js';

export { fpgaLogicJoules, fpgaPower, type FpgaPower } from './fpga.js';

/*
 * Energy and cost of what a board runs. A step draws the board's idle power
 * for its whole time, plus either the energy of the work it does (bytes
 * through device memory, multiply-accumulates by the type they multiply in,
 * bits over the host link: `dynamic.model: work`) or, where only a maximum
 * power is known, the span from idle to that maximum in proportion to how
 * close the step runs to the board's bound (`dynamic.model: utilization`).
 * A host CPU that runs operators adds its idle power and, while it
 * computes, the difference to its busy power. An FPGA's power can follow
 * its design instead (`dynamic.model: fpga`, ./fpga.ts): its resources at
 * its clock while their modules are busy, its clock network always, and the
 * bytes its memory moves.
 */

const PJ = 1e-12;
const SECONDS_PER_MS = 1e-3;
const SECONDS_PER_HOUR = 3600;

/** What a step or a run consumed. */
export interface EnergyFigures {
  readonly joules: number;
  readonly averageWatts: number;
}

/** Energy figures of a run that produced tokens. */
export interface EnergyReport extends EnergyFigures {
  readonly tokensPerJoule: number;
}

/** What a step did, as the energy model needs it. */
export interface StepActivity {
  readonly totalMs: number;
  readonly boundMs: number;
  /** Energy of the work done (`dynamicJoules`), J. */
  readonly dynamicJ: number;
  /** Busy time of each module, ms. */
  readonly modules: Readonly<Record<string, number>>;
}

/**
 * Energy of the work an IR does on a board whose energy follows its work
 * (`workOn(ir, hw)`, as the bound counts it), J; 0 where it follows
 * utilisation or is not described. Additive over parts of a step, so the
 * fast cost path can sum it like busy times.
 */
export function dynamicJoules(work: IrWork, profile: Profile, hw: Hardware): number {
  const dynamic = hw.energy?.dynamic;
  if (dynamic === undefined || dynamic.model === 'utilization') return 0;
  const peaks = backendFor(hw).peaks(hw);
  // The device's own memory: a KV cache kept on a host is the host's energy.
  const kvBytes = peaks.kvCacheInPeakMemory ? work.kvReadBytes : 0;
  const kvPjPerByte = dynamic.model === 'work' ? (dynamic.kvCachePjPerByte ?? dynamic.memoryPjPerByte) : dynamic.memoryPjPerByte;
  let joules = (work.weightBytes * dynamic.memoryPjPerByte + kvBytes * kvPjPerByte) * PJ;
  // An FPGA's arithmetic is its design's logic power, counted by the step (stepEnergy), not per multiply-accumulate.
  if (dynamic.model === 'fpga') return joules;
  for (const p of work.products) if (peaks.runs(p)) joules += p.macs * (dynamic.macPj[p.a] ?? 0) * PJ;
  joules += (profile.interconnectBytes ?? 0) * 8 * dynamic.interconnectPjPerBit * PJ;
  return joules;
}

/**
 * The least time a step may take on a board at its power limit, ms: its
 * energy beyond idle over the headroom between idle and maximum power; 0
 * where the board's energy does not follow its work or names no maximum.
 * A board that would draw more lowers its core clocks (power capping), so
 * a step that its arithmetic bounds (`limit: 'compute'`) takes this long
 * instead: its average power is then its maximum and its energy is the
 * work's, never less. A step its memory bounds keeps its time: the memory
 * runs on its own clock, which power capping does not lower, so where the
 * linear energy per byte puts such a step above the maximum, the reported
 * power is capped (stepEnergy) instead. Power capping acts over the power
 * controller's window (milliseconds, many kernels), so the limit holds a
 * step's average, not each kernel's. The energies per multiply-accumulate
 * are held at their full-clock values; a board that also lowers its voltage
 * spends less per operation, so this time is, if anything, long.
 */
export function powerLimitedMs(hw: Hardware, dynamicJ: number, limit: 'memory' | 'compute'): number {
  const energy = hw.energy;
  const dynamic = energy?.dynamic;
  if (limit !== 'compute' || energy === undefined || dynamic === undefined || dynamic.model !== 'work' || dynamic.maxWatts === undefined || dynamicJ <= 0) return 0;
  // The board schema holds maxWatts above idleWatts.
  return (dynamicJ / (dynamic.maxWatts - energy.idleWatts)) / SECONDS_PER_MS;
}

/** Energy of one step, or undefined where the board describes no energy. */
export function stepEnergy(hw: Hardware, step: StepActivity): EnergyFigures | undefined {
  const energy = hw.energy;
  if (energy === undefined) return undefined;
  const seconds = step.totalMs * SECONDS_PER_MS;
  const dynamic = energy.dynamic;
  let joules = energy.idleWatts * seconds + (dynamic.model === 'utilization' ? (dynamic.maxWatts - energy.idleWatts) * step.boundMs * SECONDS_PER_MS : step.dynamicJ);
  const fpga = fpgaPower(hw);
  if (fpga !== undefined) joules += fpgaLogicJoules(fpga, step.totalMs, step.modules);
  // A board cannot draw more than its maximum power on average.
  const maxWatts = dynamic.maxWatts;
  if (maxWatts !== undefined) joules = Math.min(joules, maxWatts * seconds);
  const host = energy.host;
  const hostModule = backendFor(hw).hostModule;
  if (host !== undefined) joules += host.idleWatts * seconds + (host.busyWatts - host.idleWatts) * (hostModule === undefined ? 0 : (step.modules[hostModule] ?? 0)) * SECONDS_PER_MS;
  return { joules, averageWatts: seconds === 0 ? 0 : joules / seconds };
}

/** Energy of `ms` with nothing running (the board's idle power, and its host's), or undefined where the board describes no energy. */
export function idleJoules(hw: Hardware, ms: number): number | undefined {
  const energy = hw.energy;
  if (energy === undefined) return undefined;
  // A loaded FPGA design keeps its clock network running between steps.
  return (energy.idleWatts + (energy.host?.idleWatts ?? 0) + (fpgaPower(hw)?.clockWatts ?? 0)) * ms * SECONDS_PER_MS;
}

/** Totals of a run: joules over `seconds`, and tokens per joule for `tokens` produced. */
export function energyReport(joules: number, seconds: number, tokens: number): EnergyReport {
  return { joules, averageWatts: seconds === 0 ? 0 : joules / seconds, tokensPerJoule: joules === 0 ? 0 : tokens / joules };
}

/**
 * Tokens an hour of the board buys, per dollar: a throughput in tokens per
 * second over the board's price in dollars per hour. Undefined without a price.
 */
export function tokensPerDollar(hw: Hardware, tokensPerSecond: number): number | undefined {
  const price = hw.price;
  return price === undefined ? undefined : (tokensPerSecond * SECONDS_PER_HOUR) / price.dollarsPerHour;
}
