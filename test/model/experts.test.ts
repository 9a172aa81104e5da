import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectedActiveExperts, formatExpertLoad, inclusionProbabilities, parseExpertLoad, routeTokens, type ExpertLoad } from '../../src/model/index.js';
import { Draws } from '../../src/serving/random.js';

/*
 * Expert load: the expected number of distinct experts a step's tokens
 * touch, against a seeded simulation of routing; the whole-number routing a
 * step is lowered with, against the bounds any routing obeys.
 */

const UNIFORM: ExpertLoad = { distribution: 'uniform' };

/** Distinct experts T tokens touch when each draws k distinct experts uniformly (a partial Fisher–Yates shuffle). */
function simulatedDistinct(draws: Draws, c: { routed: number; topK: number; tokens: number }): number {
  const touched = new Set<number>();
  const experts = Array.from({ length: c.routed }, (_, i) => i);
  for (let token = 0; token < c.tokens; token++) {
    for (let i = 0; i < c.topK; i++) {
      const j = draws.int(i, c.routed - 1);
      [experts[i], experts[j]] = [experts[j]!, experts[i]!];
      touched.add(experts[i]!);
    }
  }
  return touched.size;
}

describe('uniform expert load', () => {
  for (const c of [
    { routed: 8, topK: 2, tokens: 3 },
    { routed: 64, topK: 6, tokens: 16 },
    { routed: 128, topK: 8, tokens: 32 },
  ]) {
    test(`E·(1 − (1 − k/E)^T) matches a seeded simulation of routing: E ${c.routed}, k ${c.topK}, T ${c.tokens}`, () => {
      const draws = new Draws(7);
      const trials = 2000;
      const samples = Array.from({ length: trials }, () => simulatedDistinct(draws, c));
      const mean = samples.reduce((a, b) => a + b, 0) / trials;
      const sd = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (trials - 1));
      const formula = c.routed * (1 - (1 - c.topK / c.routed) ** c.tokens);
      const expected = expectedActiveExperts({ ...c, load: UNIFORM }, c.tokens);
      assert.ok(Math.abs(expected - formula) < 1e-9, `${expected} against the closed form ${formula}`);
      // Four standard errors: a seeded draw that a correct formula fails by chance about once in 15,000 seeds.
      assert.ok(Math.abs(mean - expected) < 4 * (sd / Math.sqrt(trials)), `simulated ${mean} ± ${sd / Math.sqrt(trials)}, formula ${expected}`);
    });
  }

  test('one token touches exactly its top-k; many tokens touch every expert', () => {
    assert.equal(expectedActiveExperts({ routed: 64, topK: 6, load: UNIFORM }, 1), 6);
    assert.ok(64 - expectedActiveExperts({ routed: 64, topK: 6, load: UNIFORM }, 1000) < 1e-9);
  });
});

describe('Zipf expert load', () => {
  const experts = { routed: 128, topK: 8 };
  test('each token still runs k experts on average, no expert more than once', () => {
    const q = inclusionProbabilities({ ...experts, load: { distribution: 'zipf', exponent: 1.2 } });
    assert.ok(Math.abs(q.reduce((a, b) => a + b, 0) - 8) < 1e-9);
    assert.ok(q.every((p) => p > 0 && p <= 1));
    assert.ok(q.every((p, i) => i === 0 || p <= q[i - 1]!), 'popularity falls with rank');
  });

  test('a steeper skew touches fewer distinct experts; a vanishing one is uniform', () => {
    const distinct = (exponent: number) => expectedActiveExperts({ ...experts, load: { distribution: 'zipf', exponent } }, 64);
    const uniform = expectedActiveExperts({ ...experts, load: UNIFORM }, 64);
    assert.ok(Math.abs(distinct(1e-9) - uniform) < 1e-6);
    assert.ok(uniform > distinct(0.5) && distinct(0.5) > distinct(1.2) && distinct(1.2) > distinct(2));
  });
});

describe('the routing a step is lowered with', () => {
  for (const load of [UNIFORM, { distribution: 'zipf', exponent: 1.2 } as const]) {
    for (const tokens of [1, 3, 40, 700]) {
      test(`${formatExpertLoad(load)}, ${tokens} tokens: T·k routed rows over at least k and at most min(E, T·k) experts, none over T rows`, () => {
        const routing = routeTokens({ routed: 64, topK: 6, load }, tokens);
        const rows = routing.rows.map((r) => r.rows);
        assert.equal(rows.reduce((a, b) => a + b, 0), tokens * 6);
        assert.ok(rows.length >= 6 && rows.length <= Math.min(64, tokens * 6), `${rows.length} experts`);
        assert.ok(rows.every((r) => r >= 1 && r <= tokens));
        assert.equal(new Set(routing.rows.map((r) => r.expert)).size, rows.length, 'each expert once');
        assert.ok(Math.abs(rows.length - routing.expectedActive) <= 0.5 + 1e-9, 'the expected number, rounded');
      });
    }
  }
});

describe('--expert-load values', () => {
  test('read and written alike', () => {
    for (const text of ['uniform', 'zipf:1.2', 'zipf:0.5', 'zipf:2']) assert.equal(formatExpertLoad(parseExpertLoad(text)!), text);
  });
  test('anything else is refused', () => {
    for (const text of ['zipf', 'zipf:0', 'zipf:-1', 'zipf:x', 'skewed', '']) assert.equal(parseExpertLoad(text), undefined, text);
  });
});
