import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { MULTI_CARD_CASES, validateMultiCard } from '../../src/validate/multi-card.js';
import { testCache, thrown } from '../helpers.js';

/*
 * The multi-card simulation against published measurements (the rows of
 * validation/multicard-moe.csv; their sources are in validation/SOURCES.md),
 * within the project's validation goal: at most 10 % median error and 25 %
 * worst. Only gpt-fast's tensor-parallel rows run here (batch-1 decodes, a
 * second or two); `validateMultiCard()` runs them all.
 */

describe('gpt-fast tensor-parallel scaling on A100-80GB, batch 1', () => {
  test('LLaMA-2-7B on 1, 2, 4 and 8 cards and LLaMA-2-70B on 2, 4 and 8: every row within 25 %, the median within 10 %', () => {
    const cases = MULTI_CARD_CASES.filter((c) => ['mc001', 'mc002', 'mc003', 'mc004', 'mc005', 'mc006', 'mc007'].includes(c.id));
    const validation = validateMultiCard({ cases, cache: testCache() });
    assert.equal(validation.rows.length, 7);
    for (const row of validation.rows) assert.ok(Math.abs(row.errorPercent) <= 25, `${row.id} (${row.model}, ${row.cards} cards): ${row.simulated} against ${row.measured}`);
    assert.ok(validation.medianAbsErrorPercent <= 10, `median ${validation.medianAbsErrorPercent} %`);
  });

  test('more cards decode faster, as measured, and never by more than the card count', () => {
    const cases = MULTI_CARD_CASES.filter((c) => ['mc001', 'mc002', 'mc003', 'mc004'].includes(c.id));
    const rows = validateMultiCard({ cases, cache: testCache() }).rows;
    for (let i = 1; i < rows.length; i++) {
      assert.ok(rows[i]!.simulated > rows[i - 1]!.simulated);
      assert.ok(rows[i]!.simulated / rows[0]!.simulated <= rows[i]!.cards);
    }
  });
});

test('a case naming a row the file lacks is refused, naming the file and the id', () => {
  const error = thrown(UserError, () => validateMultiCard({ cases: [{ ...MULTI_CARD_CASES[0]!, id: 'mc999' }] }));
  assert.match(error.message, /multicard-moe\.csv: no row with id mc999/);
});
