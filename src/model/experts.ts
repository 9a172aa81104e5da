import type { ExpertDims } from './dims.js';
import type { ExpertLoad, Model } from './schema.js';

/*
 * Which routed experts a step's tokens run, from a stated assumption about
 * how tokens spread over experts (ExpertLoad), never from a trace.
 *
 * Each expert i is among a token's top-k with probability q_i, the q_i
 * summing to k: k/E each when the load is uniform (a uniform draw of k
 * distinct experts includes any one expert with probability k/E); for a
 * Zipf load, proportional to 1 / rank^exponent, capped at 1 with the excess
 * handed to the others. Tokens route independently, so T tokens touch
 * expert i with probability 1 − (1 − q_i)^T and the expected number of
 * distinct experts a step touches is Σ_i 1 − (1 − q_i)^T; uniform:
 * E·(1 − (1 − k/E)^T).
 *
 * A step is lowered with whole numbers: the expected number of touched
 * experts, rounded, taken in order of popularity, and the step's T·k
 * routed rows shared among them in proportion to the rows each expert
 * expects once touched, T·q_i / (1 − (1 − q_i)^T), no expert over T rows.
 */

/** The experts one sparse layer runs in a step, and what that rests on. */
export interface ExpertRouting {
  readonly load: ExpertLoad;
  /** Tokens routed (the step's rows). */
  readonly tokens: number;
  /** Expected number of distinct experts the tokens touch. */
  readonly expectedActive: number;
  /** Rows each touched expert computes, by expert index, in order of popularity; their sum is tokens × topK. */
  readonly rows: ReadonlyArray<{ readonly expert: number; readonly rows: number }>;
}

/** Probability that each expert, in order of popularity, is among one token's top-k. */
export function inclusionProbabilities(experts: { readonly routed: number; readonly topK: number; readonly load: ExpertLoad }): number[] {
  const { routed, topK, load } = experts;
  const weights = Array.from({ length: routed }, (_, i) => (load.distribution === 'uniform' ? 1 : 1 / (i + 1) ** load.exponent));
  return cappedShares(weights, topK);
}

/** Shares of `total` in proportion to `weights`, none above 1: capped shares hand their excess to the rest. */
function cappedShares(weights: readonly number[], total: number): number[] {
  const shares = new Array<number>(weights.length).fill(0);
  const open = new Set(weights.map((_, i) => i));
  let left = total;
  for (;;) {
    const weight = [...open].reduce((sum, i) => sum + weights[i]!, 0);
    const capped = [...open].filter((i) => (left * weights[i]!) / weight >= 1);
    if (capped.length === 0) {
      for (const i of open) shares[i] = (left * weights[i]!) / weight;
      return shares;
    }
    for (const i of capped) {
      shares[i] = 1;
      open.delete(i);
      left -= 1;
    }
  }
}

/** Expected distinct experts `tokens` tokens touch: Σ 1 − (1 − q_i)^T. */
export function expectedActiveExperts(experts: { readonly routed: number; readonly topK: number; readonly load: ExpertLoad }, tokens: number): number {
  return inclusionProbabilities(experts).reduce((sum, q) => sum + touched(q, tokens), 0);
}

function touched(q: number, tokens: number): number {
  return 1 - (1 - q) ** tokens;
}

/** The experts a sparse layer runs over `tokens` rows, and the rows of each (see the file comment). */
export function routeTokens(experts: Pick<ExpertDims, 'routed' | 'topK' | 'load'>, tokens: number): ExpertRouting {
  const q = inclusionProbabilities(experts);
  const expectedActive = q.reduce((sum, p) => sum + touched(p, tokens), 0);
  const routedRows = tokens * experts.topK;
  // At least top-k (one token's own), at most every expert and one per routed row.
  const active = Math.min(experts.routed, routedRows, Math.max(experts.topK, Math.round(expectedActive)));
  const order = q.map((p, expert) => ({ expert, p })).sort((a, b) => b.p - a.p || a.expert - b.expert).slice(0, active);
  const rows = apportion(order.map(({ p }) => (tokens * p) / touched(p, tokens)), routedRows, tokens);
  return { load: experts.load, tokens, expectedActive, rows: order.map(({ expert }, i) => ({ expert, rows: rows[i]! })) };
}

/**
 * `total` whole rows shared in proportion to `weights`, each share between 1
 * and `cap` (largest remainders first). Needs weights.length ≤ total ≤ cap × weights.length.
 */
function apportion(weights: readonly number[], total: number, cap: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const ideal = weights.map((w) => Math.min(cap, Math.max(1, (total * w) / sum)));
  const rows = ideal.map(Math.floor);
  let left = total - rows.reduce((a, b) => a + b, 0);
  const byRemainder = ideal.map((value, i) => ({ i, remainder: value - Math.floor(value) })).sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  // Hand out what is left one row at a time: largest remainders first, then round robin where the caps and floors moved the sum.
  while (left !== 0) {
    let moved = false;
    for (const { i } of byRemainder) {
      if (left > 0 && rows[i]! < cap) {
        rows[i]! += 1;
        left -= 1;
        moved = true;
      } else if (left < 0 && rows[i]! > 1) {
        rows[i]! -= 1;
        left += 1;
        moved = true;
      }
      if (left === 0) break;
    }
    if (!moved) throw new Error(`internal: cannot share ${total} rows among ${weights.length} experts of at most ${cap}`);
  }
  return rows;
}

/** `uniform` or `zipf:1.2`, as the CLI takes and reports it. */
export function formatExpertLoad(load: ExpertLoad): string {
  return load.distribution === 'uniform' ? 'uniform' : `zipf:${load.exponent}`;
}

/** What a step's expert routing rests on and comes to, as results report it beside their figures. */
export interface ExpertStepSummary {
  /** The load assumption: `uniform` or `zipf:<exponent>`. */
  readonly load: string;
  readonly routedExperts: number;
  readonly expertsPerToken: number;
  readonly sharedExperts: number;
  /** Layers with routed experts. */
  readonly sparseLayers: number;
  /** Tokens the step routes (its rows). */
  readonly tokens: number;
  /** Experts each sparse layer runs in the step (the expected number, rounded), and the expected number itself. */
  readonly activeExperts: number;
  readonly expectedActiveExperts: number;
  /** Rows of the busiest expert. */
  readonly busiestExpertRows: number;
}

/** The routing of a step of `tokens` rows through a mixture of experts, summarised for a report. */
export function summarizeRouting(experts: ExpertDims, tokens: number): ExpertStepSummary {
  const routing = routeTokens(experts, tokens);
  return {
    load: formatExpertLoad(experts.load),
    routedExperts: experts.routed,
    expertsPerToken: experts.topK,
    sharedExperts: experts.shared,
    sparseLayers: experts.sparseLayers.filter(Boolean).length,
    tokens,
    activeExperts: routing.rows.length,
    expectedActiveExperts: routing.expectedActive,
    busiestExpertRows: Math.max(...routing.rows.map((r) => r.rows)),
  };
}

/** `uniform` or `zipf:<exponent>` (a positive number), as `formatExpertLoad` writes it; undefined for anything else. */
export function parseExpertLoad(text: string): ExpertLoad | undefined {
  const trimmed = text.trim();
  if (trimmed === 'uniform') return { distribution: 'uniform' };
  const match = /^zipf:(\d+(?:\.\d+)?|\.\d+)$/.exec(trimmed);
  const exponent = match === null ? NaN : Number(match[1]);
  return exponent > 0 ? { distribution: 'zipf', exponent } : undefined;
}

/** The model with its tokens spread over its experts by `load`; a dense model as it is. */
export function withExpertLoad(model: Model, load: ExpertLoad): Model {
  if (model.architecture.n_routed_experts === undefined) return model;
  return { ...model, mapping: { ...model.mapping, expertLoad: load } };
}
