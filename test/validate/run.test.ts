import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { availableHere, loadMeasurements, planValidation, simulateCases, splitOf, type ValidationCase } from '../../src/validate/index.js';
import { ROOT, testCache } from '../helpers.js';

/*
 * A published figure that beats the physical bound of its simulated schedule
 * (every step at bytes over peak bandwidth or operations over peak compute)
 * is flagged: no simulation within the data sheet can reach it. The bound is
 * checked by what it must be (never beaten by the simulation itself), and the
 * flag by measurements placed on either side of it.
 */

const rows = loadMeasurements(join(ROOT, 'validation', 'measurements.csv'));
const { cases } = planValidation(rows, availableHere(testCache()), splitOf);
const caseOf = (id: string): ValidationCase => cases.find((c) => c.row.id === id)!;
const withValue = (c: ValidationCase, value: number): ValidationCase => ({ ...c, row: { ...c.row, value } });

describe('measurements beyond the physical bound', () => {
  test('a static batch: its throughput bound is at least what the simulation gives; a measurement above it is flagged, one below it not', () => {
    const c = caseOf('trtllm09-a100-l2-7b-fp16-tp1-b32-2048-128-tput');
    const [point] = simulateCases([c], { cache: testCache() }).points;
    assert.ok(point!.bound !== undefined);
    assert.ok(point!.simulated <= point!.bound * (1 + 1e-9), `${point!.simulated} > bound ${point!.bound}`);
    const { points } = simulateCases([withValue(c, point!.bound * 1.2), withValue(c, point!.bound * 0.8)], { cache: testCache() });
    assert.deepEqual(points.map((p) => p.beyondBound), [true, false]);
  });

  test('a first-token latency: a measured time below the bound is flagged, one above it not', () => {
    const c = caseOf('trtllm09-a100-l2-7b-fp16-tp1-b1-128-1-ttft');
    const [point] = simulateCases([c], { cache: testCache() }).points;
    assert.ok(point!.simulated >= point!.bound! * (1 - 1e-9));
    const { points } = simulateCases([withValue(c, point!.bound! * 0.8), withValue(c, point!.bound! * 1.2)], { cache: testCache() });
    assert.deepEqual(points.map((p) => p.beyondBound), [true, false]);
  });

  test('continuous batching has no bound here: its schedule depends on how fast the steps are', () => {
    const c = cases.find((x) => x.workload.policy === 'vllm' && x.row.metric === 'throughput_tokens_per_s' && x.workload.requests <= 100);
    if (c === undefined) return assert.fail('no continuous-batching throughput case of at most 100 requests');
    const [point] = simulateCases([c], { cache: testCache() }).points;
    assert.equal(point!.bound, undefined);
    assert.equal(point!.beyondBound, false);
  });
});
