import type { Figure, ValidationCase } from './plan.js';

/*
 * Measurements that contradict each other. Of two runs of one benchmark on
 * the same board, stack, model, precision and cards, where one serves at
 * least as many requests, each with at least as long a prompt and at least
 * as many output tokens, all sent at once, the larger cannot finish sooner:
 * it could run as the smaller one does and then some. Where the published
 * figures say otherwise, at least one is noisy or ran differently from what
 * its source states, and no simulator whose time never falls as work grows
 * (ours does not) can match both. The pair is listed, with the least worst
 * error such a simulator can reach on it; neither row is dropped.
 *
 * With measured times m_more < m_less and simulated ones s_more ≥ s_less,
 * max(|s_more/m_more − 1|, |s_less/m_less − 1|) is least when both are one
 * time s between the two measurements with s/m_more − 1 = 1 − s/m_less:
 * s = 2 m_more m_less / (m_more + m_less), an error of
 * (m_less − m_more) / (m_less + m_more) on each.
 */

/** Figures that are the time of a fixed set of requests, so more work cannot lower them. */
const TIME_OF_FIXED_WORK: ReadonlySet<Figure> = new Set(['e2e_s', 'e2e_ms', 'ttft_ms']);

/** Two runs whose published times contradict the work they did. */
export interface Contradiction {
  /** The run with at least as much work in every dimension, measured faster. */
  readonly more: ValidationCase;
  /** The run with less work, measured slower. */
  readonly less: ValidationCase;
  /** The least worst |relative error| any simulator whose time never falls as work grows reaches on the pair. */
  readonly floorAbsError: number;
}

/** The pairs of cases whose measured times fall as their work grows, largest contradiction first. */
export function contradictions(cases: readonly ValidationCase[]): Contradiction[] {
  const bySetup = new Map<string, ValidationCase[]>();
  for (const c of cases.filter(comparable)) {
    const key = setupOf(c);
    const group = bySetup.get(key);
    if (group === undefined) bySetup.set(key, [c]);
    else group.push(c);
  }
  const found: Contradiction[] = [];
  for (const group of bySetup.values()) {
    for (const more of group) {
      for (const less of group) {
        if (more !== less && dominates(more, less) && more.row.value < less.row.value) found.push({ more, less, floorAbsError: (less.row.value - more.row.value) / (less.row.value + more.row.value) });
      }
    }
  }
  return found.sort((a, b) => b.floorAbsError - a.floorAbsError || a.more.row.id.localeCompare(b.more.row.id));
}

/** A time of fixed work: every request sent at once, none held back by a rate or a client limit. */
function comparable(c: ValidationCase): boolean {
  return TIME_OF_FIXED_WORK.has(c.figure) && c.workload.requestRate === Infinity && c.workload.concurrency === undefined;
}

/** What must be equal for two runs to differ only in their work. */
function setupOf(c: ValidationCase): string {
  const { row, layout, workload } = c;
  return JSON.stringify([row.group, row.software, row.software_version, c.board, c.stack ?? null, c.model, c.precision ?? null, layout, workload.policy, c.figure, row.unit]);
}

/** `a` does at least `b`'s work in requests, prompt and output, and more in one of them. */
function dominates(a: ValidationCase, b: ValidationCase): boolean {
  const x = a.workload;
  const y = b.workload;
  const atLeast = x.requests >= y.requests && x.inputLen >= y.inputLen && x.outputLen >= y.outputLen;
  const more = x.requests > y.requests || x.inputLen > y.inputLen || x.outputLen > y.outputLen;
  return atLeast && more && (x.maxNumSeqs ?? x.requests) >= (y.maxNumSeqs ?? y.requests);
}
