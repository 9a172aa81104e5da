import { backendFor, type Hardware, type Profile, type SimulationOptions } from '../backends/index.js';
import { boundOfWork, workOn, type Bound, type IrWork } from '../bound/index.js';
import { dynamicJoules, powerLimitedMs, stepEnergy, type EnergyFigures } from '../energy/index.js';
import { ConfigError } from '../errors.js';
import type { Ir } from '../ir/index.js';

/*
 * Measuring one step, the one way every caller does it (a profile job, the
 * exact step cost, a fast-path probe): the board's backend simulates the
 * IR, the bound counts the work it holds, and the energy of that work
 * follows; a whole step is checked against its bound.
 */

export interface MeasuredStep {
  readonly profile: Profile;
  /** The bytes and products the step's IR holds. */
  readonly work: IrWork;
  /** The physical bound of that work on the board. */
  readonly bound: Bound;
  /** Energy of the work beyond idle power, J. */
  readonly dynamicJ: number;
  /**
   * The step's time, ms: its schedule's (profile.totalMs), or, for a whole
   * step on a board held to its maximum power, the time that power allows
   * its energy where that is longer (src/energy, powerLimitedMs).
   */
  readonly totalMs: number;
}

export interface MeasureOptions extends SimulationOptions {
  /** How errors name the step; a step given a label is checked against its bound (a part of a step is not). */
  readonly label?: string | undefined;
}

export function measureStep(ir: Ir, hardware: Hardware, options: MeasureOptions = {}): MeasuredStep {
  const profile = backendFor(hardware).simulate(ir, hardware, options);
  const work = workOn(ir, hardware, { masks: options.masks });
  const bound = boundOfWork(work, hardware);
  if (options.label !== undefined) checkAboveBound(profile, bound, options.label);
  const dynamicJ = dynamicJoules(work, profile, hardware);
  // A part of a step (a fast-path probe) is held to the power limit once its step is added up, not on its own.
  const totalMs = options.label === undefined ? profile.totalMs : Math.max(profile.totalMs, powerLimitedMs(hardware, dynamicJ, bound.limit));
  return { profile, work, bound, dynamicJ, totalMs };
}

/** Busy time of each of the board's modules, ms, in report order. */
export function moduleBusyMs(profile: Profile, moduleNames: readonly string[]): Record<string, number> {
  return Object.fromEntries(moduleNames.map((name) => [name, profile.modules[name]?.busyMs ?? 0]));
}

/** The energy of a measured step; undefined where the board describes no energy. */
export function measuredEnergy(step: MeasuredStep, hardware: Hardware): EnergyFigures | undefined {
  const { profile, bound, dynamicJ, totalMs } = step;
  return stepEnergy(hardware, { totalMs, boundMs: bound.boundMs, dynamicJ, modules: moduleBusyMs(profile, backendFor(hardware).moduleNames) });
}

/** Allowance for rounding when a latency equals its bound. */
export const BOUND_TOLERANCE = 1e-9;

/**
 * No schedule beats the physical bound: a latency below it is never a
 * result. Every shipped board passes (tests check it), so a step below its
 * bound comes from a hardware description whose calibration (a time
 * divisor, an efficiency) claims more than its peak: a ConfigError, exit 2,
 * naming what to change, not a crash. Should an unmodified board ever
 * fail it, the message says to report it.
 */
export function checkAboveBound(profile: Profile, bound: Bound, label: string): void {
  if (profile.totalMs >= bound.boundMs * (1 - BOUND_TOLERANCE)) return;
  throw new ConfigError({
    what: `${label}: the simulated ${profile.totalMs} ms is below the physical bound of ${bound.boundMs} ms`,
    detail:
      `(${bound.bytes} bytes at ${bound.peakBandwidthGBps} GB/s, ${bound.macs} MACs at ${bound.peakTmacs} TMAC/s): ` +
      'the hardware description makes the board faster than its peak; lower its calibration (calibration.timeDivisor, an efficiency), or, if the board is unmodified, please report it.',
  });
}
