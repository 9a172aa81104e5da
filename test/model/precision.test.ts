import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModelError } from '../../src/errors.js';
import { parseModel, PRECISION_PRESET_NAMES, PrecisionSchema, type Precision } from '../../src/model/index.js';
import { zodIssues } from '../../src/util/zod-issues.js';
import { thrown, tinyModelDescription } from '../helpers.js';

const resolve = (value: unknown): Precision => PrecisionSchema.parse(value);

describe('precision presets', () => {
  // What each preset documents: weights, the width they stream at (undefined: the
  // hardware's convention for the dtype), activations, KV cache and biases.
  const documented: Record<string, Omit<Precision, 'preset'>> = {
    flightllm: { weights: 'int8', weightBits: undefined, activations: 'int8', kvCache: 'int8', bias: 'int32', group: undefined },
    FP16: { weights: 'fp16', weightBits: undefined, activations: 'fp16', kvCache: 'fp16', bias: 'fp16', group: undefined },
    BF16: { weights: 'bf16', weightBits: undefined, activations: 'bf16', kvCache: 'bf16', bias: 'bf16', group: undefined },
    W8A8: { weights: 'int8', weightBits: 8, activations: 'int8', kvCache: 'int8', bias: 'int32', group: undefined },
    W8A16: { weights: 'int8', weightBits: 8, activations: 'fp16', kvCache: 'fp16', bias: 'fp16', group: undefined },
    W4A16: { weights: 'int4', weightBits: undefined, activations: 'fp16', kvCache: 'fp16', bias: 'fp16', group: undefined },
    W4A8: { weights: 'int4', weightBits: undefined, activations: 'int8', kvCache: 'int8', bias: 'int32', group: undefined },
    // An fp16 scale and a zero point at the weight's width for every 128 weights of a column.
    'GPTQ-W4A16': { weights: 'int4', weightBits: undefined, activations: 'fp16', kvCache: 'fp16', bias: 'fp16', group: { size: 128, bits: 20 } },
    'GPTQ-W8A16': { weights: 'int8', weightBits: 8, activations: 'fp16', kvCache: 'fp16', bias: 'fp16', group: { size: 128, bits: 24 } },
    'AWQ-W4A16': { weights: 'int4', weightBits: undefined, activations: 'fp16', kvCache: 'fp16', bias: 'fp16', group: { size: 128, bits: 20 } },
    FP8: { weights: 'fp8', weightBits: undefined, activations: 'fp8', kvCache: 'fp16', bias: 'fp16', group: undefined },
  };

  test('the documented presets are exactly the ones there are', () => {
    assert.deepEqual([...PRECISION_PRESET_NAMES].sort(), Object.keys(documented).sort());
  });

  for (const [name, fields] of Object.entries(documented)) {
    test(`${name} resolves to its documented dtypes, by name and as { preset: ${name} }`, () => {
      assert.deepEqual(resolve(name), { preset: name, ...fields });
      assert.deepEqual(resolve({ preset: name }), { preset: name, ...fields });
    });
  }

  test('INT8 is another name for W8A8', () => {
    assert.deepEqual(resolve('INT8'), resolve('W8A8'));
    assert.equal(resolve('INT8').preset, 'W8A8');
  });

  test('an object without a preset starts from flightllm', () => {
    assert.deepEqual(resolve({ kvCache: 'fp16' }), { ...resolve('flightllm'), kvCache: 'fp16' });
  });

  test('{ preset: W4A16, kvCache: int8 } changes the KV cache and keeps every other field of the preset', () => {
    assert.deepEqual(resolve({ preset: 'W4A16', kvCache: 'int8' }), { ...resolve('W4A16'), kvCache: 'int8' });
  });

  test("new weights drop the preset's weight width; weightBits given with them is kept", () => {
    // W8A8 streams int8 weights at 8 bits; fp16 weights must not inherit that width.
    assert.equal(resolve({ preset: 'W8A8', weights: 'fp16' }).weightBits, undefined);
    assert.equal(resolve({ preset: 'W8A8', weights: 'int4', weightBits: 4 }).weightBits, 4);
    assert.equal(resolve({ preset: 'W8A8', activations: 'fp16' }).weightBits, 8);
  });

  test("an unknown preset's message lists every valid name, aliases included", () => {
    const result = PrecisionSchema.safeParse('W9A9', { reportInput: true });
    assert.equal(result.success, false);
    const message = zodIssues(result.error!).map((issue) => issue.message).join('\n');
    assert.match(message, /unknown precision "W9A9"; expected one of/);
    for (const name of [...PRECISION_PRESET_NAMES, 'INT8']) assert.ok(message.includes(name), `${name} listed in: ${message}`);
  });

  test('an unknown field or dtype in a precision object is refused', () => {
    assert.equal(PrecisionSchema.safeParse({ preset: 'FP16', kv: 'int8' }).success, false);
    assert.equal(PrecisionSchema.safeParse({ preset: 'FP16', kvCache: 'int7' }).success, false);
  });
});

describe('precision in a model file', () => {
  test('precision: FP16 parses into the FP16 preset', () => {
    const { model } = parseModel(tinyModelDescription({ precision: 'FP16' }));
    assert.deepEqual(model.mapping.precision, resolve('FP16'));
  });

  test('a model without a precision gets the flightllm preset', () => {
    const { model } = parseModel(tinyModelDescription());
    assert.deepEqual(model.mapping.precision, resolve('flightllm'));
    assert.deepEqual(parseModel(tinyModelDescription({})).model.mapping.precision, resolve('flightllm'));
  });

  test('an object precision in a model file keeps the preset\'s other fields', () => {
    const { model } = parseModel(tinyModelDescription({ precision: { preset: 'W4A16', kvCache: 'int8' } }));
    assert.deepEqual(model.mapping.precision, { ...resolve('W4A16'), kvCache: 'int8' });
  });

  test('an unknown preset in a model file is a ModelError at mapping.precision naming the file', () => {
    const error = thrown(ModelError, () => parseModel(tinyModelDescription({ precision: 'W9A9' }), { file: 'tiny.yaml' }));
    assert.ok(error.issues.some((issue) => issue.path.startsWith('mapping.precision') && /unknown precision "W9A9"/.test(issue.message)), JSON.stringify(error.issues));
    assert.match(error.message, /^tiny\.yaml: invalid model description: /);
  });
});
