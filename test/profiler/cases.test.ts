import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UsageError, UserError } from '../../src/errors.js';
import { caseFigures, lengthsNeeded, loadCases, parseCaseList } from '../../src/profiler/index.js';
import { temporaryDirectory } from '../helpers.js';

describe('cases', () => {
  test('FlightLLM pads the prompt to 128 and each decode context to 16', () => {
    const needed = lengthsNeeded([{ batch: 1, prompt: 100, generated: 40 }], { prefill: 128, decode: 16 });
    assert.deepEqual(needed.prefill, [128]);
    // Contexts 101..140 round up to 112, 128, 144.
    assert.deepEqual(needed.decode, [112, 128, 144]);
  });

  test('a case adds one decode step per generated token at the padded context so far', () => {
    const latency = (stage: string, tokens: number) => (stage === 'prefill' ? 1000 : tokens);
    const figures = caseFigures({ batch: 1, prompt: 100, generated: 40 }, latency, { prefill: 128, decode: 16 });
    // Contexts 101-112 → 112 (12 steps), 113-128 → 128 (16), 129-140 → 144 (12).
    assert.equal(figures.decodeMs, 12 * 112 + 16 * 128 + 12 * 144);
    assert.equal(figures.totalMs, 1000 + figures.decodeMs);
    assert.equal(figures.tokensPerSecond, 40 / (figures.decodeMs / 1000));
  });

  test('a case list reads batch x prompt x generated', () => {
    assert.deepEqual(parseCaseList('1x128x512, 1x512x1536'), [
      { batch: 1, prompt: 128, generated: 512 },
      { batch: 1, prompt: 512, generated: 1536 },
    ]);
  });

  test('a malformed case list names the item', () => {
    assert.throws(() => parseCaseList('1x128x512,1x128'), (error: unknown) => error instanceof UsageError && /invalid case "1x128" in --cases/.test(error.message));
  });

  test('a malformed case file names the file and the field', () => {
    const file = join(temporaryDirectory(), 'cases.yaml');
    writeFileSync(file, 'cases:\n  - { batch: 1, prompt: 128, generated: 512 }\n  - { batch: 1, prompt: -5, generated: 512 }\n');
    assert.throws(() => loadCases(file), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.message, `${file}: invalid case list: cases[1].prompt: expected a value > 0, got -5`);
      return true;
    });
  });
});
