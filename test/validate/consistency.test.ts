import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { availableHere, contradictions, loadMeasurements, planValidation, splitOf, type ValidationCase } from '../../src/validate/index.js';
import { ROOT, testCache } from '../helpers.js';

/*
 * Of two runs on one setup, the one with at least as many requests, prompt
 * and output tokens cannot finish sooner; published pairs that do are listed
 * with the least worst error any simulator whose time never falls as work
 * grows can reach on them (derived in the test by searching such simulators).
 */

const rows = ['measurements.csv', 'multicard-moe.csv'].flatMap((file) => loadMeasurements(join(ROOT, 'validation', file)));
const { cases } = planValidation(rows, availableHere(testCache()), splitOf);
const argonne = (batch: number, input: number, output: number) => cases.find((c) => c.row.id === `argonne-mi300x-vllm-l2-7b-tp1-b${batch}-${input}-${output}-e2e`)!;

/** A copy of a case with other work and another measured time. */
function variant(base: ValidationCase, work: { requests?: number; inputLen?: number; outputLen?: number }, seconds: number, id: string): ValidationCase {
  const requests = work.requests ?? base.workload.requests;
  return { ...base, row: { ...base.row, id, value: seconds }, workload: { ...base.workload, ...work, requests, maxNumSeqs: base.workload.maxNumSeqs === undefined ? undefined : requests } };
}

/** The least worst error over simulated times s_more ≥ s_less, searched on a grid of both. */
function searchedFloor(moreSeconds: number, lessSeconds: number): number {
  let best = Infinity;
  const grid = Array.from({ length: 801 }, (_, i) => (Math.min(moreSeconds, lessSeconds) * 0.5 * (1 + i / 400)));
  for (const sLess of grid) for (const sMore of grid) if (sMore >= sLess) best = Math.min(best, Math.max(Math.abs(sMore / moreSeconds - 1), Math.abs(sLess / lessSeconds - 1)));
  return best;
}

describe('measurements that contradict each other', () => {
  const base = argonne(16, 128, 128);

  test('a larger batch measured faster than a smaller one is listed, with the floor no monotone simulator beats', () => {
    const small = variant(base, { requests: 4 }, 2.0, 'small');
    const large = variant(base, { requests: 8 }, 1.5, 'large');
    const found = contradictions([small, large]);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.more.row.id, 'large');
    assert.equal(found[0]!.less.row.id, 'small');
    assert.ok(Math.abs(found[0]!.floorAbsError - searchedFloor(1.5, 2.0)) < 0.002, `${found[0]!.floorAbsError} against ${searchedFloor(1.5, 2.0)}`);
  });

  test('runs whose time grows with their work, or whose work is not ordered, are not listed', () => {
    const ordered = [variant(base, { requests: 4 }, 1.0, 'a'), variant(base, { requests: 8 }, 1.2, 'b'), variant(base, { requests: 8, outputLen: 256 }, 2.0, 'c')];
    assert.deepEqual(contradictions(ordered), []);
    // Longer prompts but fewer requests: neither does all the other's work.
    const crossed = [variant(base, { requests: 4, inputLen: 1024 }, 1.0, 'd'), variant(base, { requests: 8 }, 2.0, 'e')];
    assert.deepEqual(contradictions(crossed), []);
  });

  test('runs on different boards, stacks or figures are never compared', () => {
    const other = { ...variant(base, { requests: 8 }, 1.0, 'other-board'), board: 'h100-sxm' };
    assert.deepEqual(contradictions([variant(base, { requests: 4 }, 2.0, 'small'), other]), []);
    const throughput = { ...variant(base, { requests: 8 }, 1.0, 'throughput'), figure: 'output_tokens_per_s' as const };
    assert.deepEqual(contradictions([variant(base, { requests: 4 }, 2.0, 'small'), throughput]), []);
  });

  test("Argonne's MI300X batch of one at 128/128 is slower than its batch of 16: listed, neither row dropped", () => {
    const one = argonne(1, 128, 128);
    const sixteen = argonne(16, 128, 128);
    assert.ok(one.row.value > sixteen.row.value, 'the published times');
    const pair = contradictions(cases).find((c) => c.more.row.id === sixteen.row.id && c.less.row.id === one.row.id);
    assert.ok(pair !== undefined);
    assert.ok(Math.abs(pair.floorAbsError - searchedFloor(sixteen.row.value, one.row.value)) < 0.002);
    assert.ok(cases.includes(one) && cases.includes(sixteen));
  });
});
