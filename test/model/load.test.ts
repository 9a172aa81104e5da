import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ModelError } from '../../src/errors.js';
import { loadModel, modelDims, parseModel, shippedModelNames } from '../../src/model/index.js';
import { ROOT, temporaryDirectory, thrown } from '../helpers.js';


const architecture = { hidden_size: 1024, intermediate_size: 2048, num_attention_heads: 16, num_key_value_heads: 4, num_hidden_layers: 2, vocab_size: 4096, max_position_embeddings: 2048 };

describe('model descriptions', () => {
  for (const file of ['llama2-7b', 'llama2-13b', 'llama2-70b', 'llama3.1-8b', 'qwen2.5-7b', 'qwen2.5-32b', 'llama3-70b', 'llama3.1-405b', 'mixtral-8x22b', 'qwen3-235b-a22b']) {
    test(`ir/${file}.yaml loads and names its source`, () => {
      const { model, assumptions } = loadModel(join(ROOT, 'ir', `${file}.yaml`));
      assert.deepEqual(assumptions, []);
      assert.match(model.source ?? '', /^https:\/\/huggingface\.co\//);
    });
  }

  test('every model description in ir/ loads by its name as by its path', () => {
    const files = readdirSync(join(ROOT, 'ir')).filter((file) => file.endsWith('.yaml'));
    assert.deepEqual(shippedModelNames(), files.map((file) => file.replace(/\.yaml$/, '')).sort());
    for (const name of shippedModelNames()) assert.deepEqual(loadModel(name), loadModel(join(ROOT, 'ir', `${name}.yaml`)), name);
  });

  test('a name that is neither a file nor shipped is refused, listing the shipped names', () => {
    const error = thrown(ModelError, () => loadModel('qwen2.6-7b'));
    assert.equal(error.message, `no model description "qwen2.6-7b": it is neither a file nor a shipped name; shipped: ${shippedModelNames().join(', ')}.`);
    for (const name of ['llama2-7b', 'qwen2.5-7b']) assert.ok(shippedModelNames().includes(name), name);
  });

  test("Llama-3-70B is Llama-3.1-70B's architecture with an 8K context", () => {
    const llama3 = loadModel('llama3-70b').model;
    const llama31 = loadModel('llama3.1-70b').model;
    assert.deepEqual(modelDims(llama3), modelDims(llama31));
    assert.deepEqual([llama3.architecture.max_position_embeddings, llama31.architecture.max_position_embeddings], [8192, 131072]);
  });

  test('grouped-query attention: key and value widths follow the key/value heads', () => {
    const d = modelDims(loadModel(join(ROOT, 'ir', 'qwen2.5-32b.yaml')).model);
    assert.deepEqual([d.heads, d.kvHeads, d.headDim, d.qWidth, d.kvWidth], [40, 8, 128, 5120, 1024]);
    assert.deepEqual([...d.biased].sort(), ['k', 'q', 'v']);
  });

  test('a Hugging Face config.json loads with the default mapping, and says what it assumed', () => {
    const file = join(temporaryDirectory(), 'config.json');
    writeFileSync(file, JSON.stringify({ _name_or_path: 'Qwen/Qwen2.5-7B', model_type: 'qwen2', rope_theta: 1e6, ...architecture, num_key_value_heads: 4 }));
    const { model, assumptions } = loadModel(file);
    assert.equal(model.name, 'qwen2.5-7b');
    assert.equal(model.architecture.attention_bias, true);
    assert.ok(assumptions.some((text) => /attention_bias: true/.test(text)));
    assert.ok(assumptions.some((text) => /attention masks: dense/.test(text)));
    assert.deepEqual(model.mapping.attentionMasks, { pattern: 'dense' });
  });

  test('heads that do not divide the hidden size are refused', () => {
    const error = thrown(ModelError, () => parseModel({ name: 'm', architecture: { ...architecture, num_attention_heads: 12, num_key_value_heads: 4 } }));
    assert.deepEqual(error.issues, [{ path: 'architecture.num_attention_heads', message: '12 heads must divide hidden_size 1024' }]);
  });

  test('key/value heads that do not divide the heads are refused', () => {
    const error = thrown(ModelError, () => parseModel({ name: 'm', architecture: { ...architecture, num_key_value_heads: 3 } }));
    assert.deepEqual(error.issues, [{ path: 'architecture.num_key_value_heads', message: '3 key/value heads must divide num_attention_heads 16' }]);
  });

  test('an unknown mask pattern is named with the patterns accepted', () => {
    const error = thrown(ModelError, () => parseModel({ name: 'm', architecture, mapping: { attentionMasks: { pattern: 'strided' } } }, { file: 'm.yaml' }));
    assert.match(error.message, /^m\.yaml: invalid model description: mapping\.attentionMasks\.pattern: unknown pattern "strided", expected one of dense, local\+sink, density$/);
  });

  test('a sparsity ratio outside (0, 1] is refused', () => {
    const error = thrown(ModelError, () => parseModel({ name: 'm', architecture, mapping: { weightSparsity: { q: 1.5 } } }));
    assert.deepEqual(error.issues, [{ path: 'mapping.weightSparsity.q', message: 'expected a value <= 1, got 1.5' }]);
  });
});
