import type { Hardware } from '../backends/index.js';
import type { StepCost } from '../cost/index.js';
import { idleJoules, stepEnergy, type EnergyFigures } from '../energy/index.js';
import { totalCards, type ParallelLayout } from './layout.js';

/*
 * Energy and price of several cards. Every card draws its idle power for the
 * whole step, while it computes and while it waits for the others or for
 * the links, plus the energy of its own work; the links add the energy of
 * the bits they carry. A layout's price is every card's, with what the
 * links add per card.
 */

const SECONDS_PER_MS = 1e-3;
const SECONDS_PER_HOUR = 3600;

/**
 * Energy of one multi-card step: each stage's cards over the whole step
 * with the work of their micro-batches, and the links; undefined where the
 * board describes no energy.
 */
export function parallelStepEnergy(hw: Hardware, step: { totalMs: number; tensorParallelSize: number; stages: ReadonlyArray<readonly StepCost[]>; linkJoules: number }): EnergyFigures | undefined {
  if (hw.energy === undefined) return undefined;
  let joules = step.linkJoules;
  for (const micro of step.stages) {
    const modules: Record<string, number> = {};
    for (const cost of micro) for (const [name, ms] of Object.entries(cost.modules)) modules[name] = (modules[name] ?? 0) + ms;
    const card = stepEnergy(hw, { totalMs: step.totalMs, boundMs: sum(micro, (c) => c.boundMs), dynamicJ: sum(micro, (c) => c.dynamicJ), modules })!;
    joules += card.joules * step.tensorParallelSize;
  }
  const seconds = step.totalMs * SECONDS_PER_MS;
  return { joules, averageWatts: seconds === 0 ? 0 : joules / seconds };
}

function sum(costs: readonly StepCost[], of: (cost: StepCost) => number): number {
  return costs.reduce((total, cost) => total + of(cost), 0);
}

/** What an hour of every card of the layout costs with its links, US dollars; undefined without a price. */
export function layoutDollarsPerHour(hw: Hardware, layout: ParallelLayout): number | undefined {
  if (hw.price === undefined) return undefined;
  const cards = totalCards(layout);
  const links = cards > 1 ? (hw.interconnect?.dollarsPerHourPerCard ?? 0) : 0;
  return cards * (hw.price.dollarsPerHour + links);
}

/** Tokens an hour of the whole layout buys per dollar, at a throughput in tokens per second; undefined without a price. */
export function layoutTokensPerDollar(hw: Hardware, layout: ParallelLayout, tokensPerSecond: number): number | undefined {
  const dollars = layoutDollarsPerHour(hw, layout);
  return dollars === undefined ? undefined : (tokensPerSecond * SECONDS_PER_HOUR) / dollars;
}

/** Idle energy of every card of the layout over `ms` (each as `idleJoules` counts one: its idle power, its host's, a loaded FPGA design's clock network), J; undefined without energy. */
export function layoutIdleJoules(hw: Hardware, layout: ParallelLayout, ms: number): number | undefined {
  const one = idleJoules(hw, ms);
  return one === undefined ? undefined : totalCards(layout) * one;
}
