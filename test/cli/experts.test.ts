import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dump } from 'js-yaml';
import { runMain, temporaryDirectory, TINY_MOE_ARCHITECTURE } from '../helpers.js';

/*
 * The expert load a result rests on is an assumption: `--expert-load`
 * chooses it, and step, serve and profile report it beside their figures.
 */

const work = temporaryDirectory();
const moe = join(work, 'tiny-moe.yaml');
writeFileSync(moe, dump({ name: 'tiny-moe', displayName: 'Tiny MoE', architecture: { ...TINY_MOE_ARCHITECTURE }, mapping: { precision: 'FP16' } }));
const board = ['--hardware', 'a100-80gb-sxm', '--model', moe];

describe('--expert-load', () => {
  test('step reports the load and the experts each sparse layer runs, fewer under a skew', async () => {
    const json = async (load: string) => {
      const result = await runMain(['step', ...board, '--seq', '1@64x3', '--json', '--expert-load', load]);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as { experts: { load: string; activeExperts: number; expectedActiveExperts: number; tokens: number }; boundMs: number };
    };
    const [uniform, skewed] = [await json('uniform'), await json('zipf:2')];
    assert.equal(uniform.experts.load, 'uniform');
    assert.equal(skewed.experts.load, 'zipf:2');
    assert.equal(uniform.experts.tokens, 3);
    // Three tokens at top-2 of 8: 8·(1 − (3/4)^3) = 4.625 experts expected, uniformly.
    assert.ok(Math.abs(uniform.experts.expectedActiveExperts - 8 * (1 - 0.75 ** 3)) < 1e-9);
    assert.ok(skewed.experts.activeExperts < uniform.experts.activeExperts);
    assert.ok(skewed.boundMs < uniform.boundMs, 'fewer experts, fewer weight bytes');
    const text = await runMain(['step', ...board, '--seq', '1@64x3', '--expert-load', 'zipf:2']);
    assert.match(text.stdout, /experts: load zipf:2 \(assumed\): each of 1 sparse layers runs \d+ of 8 routed experts \+ 1 shared/);
  });

  test('serve reports the load and the experts its steps ran on average', async () => {
    const result = await runMain(['serve', ...board, '--num-prompts', '6', '--random-input-len', '64', '--random-output-len', '8', '--json', '--expert-load', 'zipf:1.2']);
    assert.equal(result.code, 0, result.stderr);
    const document = JSON.parse(result.stdout) as { expert_load: string; mean_active_experts_per_layer: number; routed_experts: number };
    assert.equal(document.expert_load, 'zipf:1.2');
    assert.ok(document.mean_active_experts_per_layer >= TINY_MOE_ARCHITECTURE.num_experts_per_tok && document.mean_active_experts_per_layer <= 8);
    const report = await runMain(['serve', ...board, '--num-prompts', '6', '--random-input-len', '64', '--random-output-len', '8']);
    assert.match(report.stdout, /Expert load \(assumed\): +uniform; \d+\.\d of 8 experts a step/);
  });

  test('profile reports the load and the experts each case’s prefill and decode run', async () => {
    const result = await runMain(['profile', ...board, '--cases', '2x64x4', '--out-dir', join(work, 'profile'), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const document = JSON.parse(result.stdout) as { experts: Array<{ prefill: { tokens: number; activeExperts: number }; decode: { tokens: number; activeExperts: number; load: string } }> };
    assert.equal(document.experts[0]!.prefill.tokens, 2 * 64);
    assert.equal(document.experts[0]!.decode.tokens, 2);
    assert.equal(document.experts[0]!.decode.load, 'uniform');
  });

  test('a dense model is left as it is, and says so', async () => {
    const result = await runMain(['step', '--hardware', 'a100-80gb-sxm', '--model', 'llama2-7b', '--seq', '1@64', '--json', '--expert-load', 'zipf:1.2']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /llama2-7B has no experts; --expert-load ignored/);
    assert.equal((JSON.parse(result.stdout) as { experts: unknown }).experts, null);
  });
});
