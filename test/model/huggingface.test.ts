import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ModelError } from '../../src/errors.js';
import { loadModel, modelDims, parameterCounts, parseModel } from '../../src/model/index.js';
import { ROOT, thrown, TINY_ARCHITECTURE } from '../helpers.js';

/*
 * Hugging Face config.json files of mixtures of experts (Mixtral, Qwen2-MoE,
 * Qwen3-MoE) and of latent attention (DeepSeek-V2/V3), imported: the same
 * model as the description shipped in ir/, and the parameter counts their
 * publishers state. The configs are copies of the published files
 * (test/model/fixtures/SOURCES.md says where each comes from).
 */

const fixture = (name: string) => join(ROOT, 'test', 'model', 'fixtures', `${name}.config.json`);

/**
 * Total parameters as published, billions: Mixtral 46.7B (Mistral AI,
 * "Mixtral of experts", 2023-12-11); Qwen2-57B-A14B 57B (its name; Qwen2
 * technical report, table 1: 57B); Qwen3-30B-A3B 30.5B (model card, "Number
 * of Parameters: 30.5B in total and 3.3B activated"); DeepSeek-V2-Lite 15.7B
 * (model card: "15.7B parameters in total"); DeepSeek-V3 671B (technical
 * report: "671B total parameters with 37B activated for each token");
 * Llama-2-70B, Llama-2-13B and Llama-3.1-70B 70B, 13B and 70B (their names,
 * rounded: 2 % allowed); Qwen2.5-72B 72.7B (model card, "Number of
 * Parameters: 72.7B"); Mixtral-8x22B 141B (Mistral AI, "Cheaper, Better,
 * Faster, Stronger", 2024-04-17: "39B active parameters out of 141B");
 * Qwen3-235B-A22B 235B (model card, "235B in total and 22B activated");
 * Llama-3.1-405B 405B (its name, rounded: 2 % allowed). Ours count every
 * weight matrix but the input embedding table, so the table is added back.
 */
const PUBLISHED_BILLIONS: Record<string, { total: number; tolerance: number }> = {
  'mixtral-8x7b': { total: 46.7, tolerance: 0.005 },
  'qwen2-57b-a14b': { total: 57, tolerance: 0.01 },
  'qwen3-30b-a3b': { total: 30.5, tolerance: 0.005 },
  'deepseek-v2-lite': { total: 15.7, tolerance: 0.005 },
  'deepseek-v3': { total: 671, tolerance: 0.005 },
  'llama2-70b': { total: 70, tolerance: 0.02 },
  'llama2-13b': { total: 13, tolerance: 0.02 },
  'llama3.1-70b': { total: 70, tolerance: 0.02 },
  'qwen2.5-72b': { total: 72.7, tolerance: 0.005 },
  'mixtral-8x22b': { total: 141, tolerance: 0.005 },
  'qwen3-235b-a22b': { total: 235, tolerance: 0.005 },
  'llama3.1-405b': { total: 405, tolerance: 0.02 },
};

describe('a Hugging Face config.json', () => {
  for (const [name, published] of Object.entries(PUBLISHED_BILLIONS)) {
    test(`${name}: imports as the shipped ir/${name}.yaml describes it, with the published ${published.total}B parameters`, () => {
      const imported = loadModel(fixture(name)).model;
      const shipped = loadModel(name).model;
      assert.deepEqual(modelDims({ ...imported, mapping: shipped.mapping }), modelDims(shipped));
      const d = modelDims(shipped);
      const billions = (parameterCounts(d).total + d.vocab * d.hidden) / 1e9;
      assert.ok(Math.abs(billions / published.total - 1) <= published.tolerance, `${billions.toFixed(2)}B against ${published.total}B`);
    });
  }

  test('Mixtral and Qwen3-MoE activate the published share: 12.9B of Mixtral-8x7B and 39B of Mixtral-8x22B (Mistral AI), 3.3B of Qwen3-30B-A3B and 22B of Qwen3-235B-A22B (model cards)', () => {
    for (const [name, active] of [['mixtral-8x7b', 12.9], ['mixtral-8x22b', 39], ['qwen3-30b-a3b', 3.3], ['qwen3-235b-a22b', 22]] as const) {
      const d = modelDims(loadModel(name).model);
      const billions = (parameterCounts(d).active + d.vocab * d.hidden) / 1e9;
      assert.ok(Math.abs(billions / active - 1) < 0.02, `${name}: ${billions.toFixed(2)}B active against ${active}B`);
    }
  });

  test("says what it read under another family's name", () => {
    const { assumptions } = loadModel(fixture('mixtral-8x7b'));
    assert.ok(assumptions.includes('n_routed_experts: 8 (from num_local_experts)'), assumptions.join('\n'));
    assert.ok(assumptions.includes('moe_intermediate_size: 14336 (each expert is intermediate_size wide)'));
    assert.ok(loadModel(fixture('qwen2-57b-a14b')).assumptions.includes('n_routed_experts: 64 (from num_experts)'));
  });

  test('the layers a config makes dense: DeepSeek its first k, Qwen-MoE its mlp_only_layers and every layer off its decoder_sparse_step', () => {
    const sparse = (architecture: Record<string, unknown>) => modelDims(parseModel({ ...architecture }).model).experts!.sparseLayers;
    const base = { ...TINY_ARCHITECTURE, num_hidden_layers: 6, num_experts: 8, num_experts_per_tok: 2, moe_intermediate_size: 256 };
    assert.deepEqual(sparse({ ...base, n_routed_experts: 8, num_experts: undefined, first_k_dense_replace: 2 }), [false, false, true, true, true, true]);
    assert.deepEqual(sparse({ ...base, mlp_only_layers: [1, 4] }), [true, false, true, true, false, true]);
    assert.deepEqual(sparse({ ...base, decoder_sparse_step: 2 }), [false, true, false, true, false, true]);
  });
});

describe('a mixture of experts or latent attention described in part', () => {
  const model = (architecture: Record<string, unknown>) => () => parseModel({ name: 'm', architecture: { ...TINY_ARCHITECTURE, ...architecture } }, { file: 'm.yaml' });
  test('experts without top-k or their width', () => {
    const error = thrown(ModelError, model({ n_routed_experts: 8 }));
    assert.match(error.message, /architecture\.num_experts_per_tok: a mixture of experts \(n_routed_experts\) needs it/);
    assert.match(error.message, /architecture\.moe_intermediate_size: a mixture of experts \(n_routed_experts\) needs it/);
  });
  test('more experts per token than experts, a dense layer that does not exist', () => {
    const error = thrown(ModelError, model({ n_routed_experts: 4, num_experts_per_tok: 6, moe_intermediate_size: 256, mlp_only_layers: [5] }));
    assert.match(error.message, /num_experts_per_tok: 6 experts per token exceed the 4 routed experts/);
    assert.match(error.message, /mlp_only_layers\[0\]: layer 5 does not exist: layers are 0 to 1/);
  });
  test('expert fields on a dense model', () => {
    assert.match(thrown(ModelError, model({ num_experts_per_tok: 2 })).message, /architecture\.num_experts_per_tok: describes a mixture of experts; set n_routed_experts too, or leave it out/);
  });
  test('latent attention without its per-head dimensions', () => {
    const error = thrown(ModelError, model({ kv_lora_rank: 128 }));
    for (const field of ['qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim']) assert.match(error.message, new RegExp(`architecture\\.${field}: latent attention \\(kv_lora_rank\\) needs it`));
  });
});
