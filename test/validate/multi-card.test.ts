import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { validate } from '../../src/validate/index.js';
import { multiCardPart } from '../../src/validate/multi-card.js';
import { ROOT, testCache } from '../helpers.js';

/*
 * Multi-card rows run through the same plan and runner as every published
 * row. gpt-fast's tensor-parallel scaling of LLaMA-2-7B on A100-80GBs
 * (validation/measurements.csv; README of pytorch-labs/gpt-fast@32971d3)
 * stands for them here: batch-1 decodes, a second or two to simulate.
 */

const files = ['measurements.csv', 'multicard-moe.csv'].map((file) => join(ROOT, 'validation', file));
const report = validate({ files, filter: 'gptfast-a100-l2-7b-bf16', cache: testCache() });
const byCards = report.points.map((p) => ({ cards: p.case.layout.cards, measured: p.measured, simulated: p.simulated, error: p.error })).sort((a, b) => a.cards - b.cards);

describe('gpt-fast tensor-parallel scaling on A100-80GB, batch 1', () => {
  test('LLaMA-2-7B runs on 1, 2, 4 and 8 cards, every row within the validation goal of 25 %', () => {
    assert.deepEqual(byCards.map((r) => r.cards), [1, 2, 4, 8]);
    for (const r of byCards) assert.ok(Math.abs(r.error) <= 0.25, `${r.cards} cards: ${r.simulated} against ${r.measured}`);
  });

  test('more cards decode faster, as measured, and never by more than the card count', () => {
    for (let i = 1; i < byCards.length; i++) {
      assert.ok(byCards[i]!.simulated > byCards[i - 1]!.simulated);
      assert.ok(byCards[i]!.simulated / byCards[0]!.simulated <= byCards[i]!.cards);
    }
  });

  test('the multi-card part of a report holds the rows on several cards, and its median lies within its rows', () => {
    const part = multiCardPart(report);
    assert.deepEqual(part.rows.map((r) => r.cards).sort(), [2, 4, 8]);
    const errors = part.rows.map((r) => Math.abs(r.errorPercent));
    assert.ok(part.medianAbsErrorPercent >= Math.min(...errors) && part.medianAbsErrorPercent <= Math.max(...errors));
    assert.equal(part.worstAbsErrorPercent, Math.max(...errors));
  });
});
