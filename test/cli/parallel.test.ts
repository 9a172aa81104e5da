import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { modelDims } from '../../src/model/index.js';
import { runMain, temporaryDirectory, tinyModel, tinyModelFile } from '../helpers.js';

/*
 * The multi-card options on the command line: a layout of one card prints
 * exactly what the command printed before the options existed, a layout the
 * board or model cannot take fails with exit code 2 and every reason, and
 * a multi-card step or serving run reports its cards and collectives.
 */

const work = temporaryDirectory();
const tiny = tinyModelFile(work, { mapping: { precision: 'FP16' } });
const gpu = ['--hardware', 'a100-80gb-sxm', '--model', tiny];

describe('multi-card options', () => {
  test('step and serve on one card print byte for byte what they print without the options', async () => {
    for (const args of [['step', ...gpu, '--seq', '1@300x4', '--seq', '64@0'], ['serve', ...gpu, '--num-prompts', '12', '--max-concurrency', '4', '--random-input-len', '64', '--random-output-len', '16', '--num-gpu-blocks-override', '2048', '--json']]) {
      const plain = await runMain(args);
      const one = await runMain([...args, '--tensor-parallel-size', '1', '--pipeline-parallel-size', '1', '--data-parallel-size', '1']);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(one.stdout, plain.stdout);
    }
  });

  test('a tensor-parallel step reports its cards, its collectives and each card’s share of memory', async () => {
    const result = await runMain(['step', ...gpu, '--seq', '1@300x4', '--tensor-parallel-size', '2', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const step = JSON.parse(result.stdout);
    const layers = modelDims(tinyModel()).layers;
    assert.equal(step.parallel.cards, 2);
    assert.deepEqual(Object.fromEntries(step.parallel.collectives.map((c: { purpose: string; count: number }) => [c.purpose, c.count])), { 'attention output': layers, 'FFN output': layers, embedding: 1, logits: 1 });
    assert.equal(step.modules.LINK, step.parallel.communicationMs);
    assert.equal(step.parallel.cardMemory.length, 1);
    const text = await runMain(['step', ...gpu, '--seq', '1@300x4', '--tensor-parallel-size', '2']);
    assert.match(text.stdout, /on 2 cards \(tensor 2\) of a100-80gb-sxm/);
    assert.match(text.stdout, /cards: 2 over NVLink 3 through NVSwitch/);
  });

  test('serve over two replicas says how the router spread the requests', async () => {
    const result = await runMain(['serve', ...gpu, '--num-prompts', '12', '--max-concurrency', '4', '--random-input-len', '64', '--random-output-len', '16', '--num-gpu-blocks-override', '2048', '--data-parallel-size', '2', '--router', 'round-robin', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const parallel = JSON.parse(result.stdout).parallel;
    assert.deepEqual(parallel.replica_requests, [6, 6]);
    assert.equal(parallel.cards, 2);
  });

  for (const [args, messages] of [
    [['step', '--hardware', 'vhk158', '--seq', '1@100', '--tensor-parallel-size', '2'], [/vhk158 describes no links to other cards/]],
    [['step', ...gpu, '--seq', '1@100', '--tensor-parallel-size', '3', '--pipeline-parallel-size', '3'], [/3 cards do not divide the 4 attention heads/, /3 stages for 2 layers/, /exceeds the 8 that a100-80gb-sxm's NVLink 3 through NVSwitch \(HGX A100\) joins/]],
    [['step', ...gpu, '--seq', '1@100', '--tensor-parallel-size', '0'], [/--tensor-parallel-size.*expected a positive integer/]],
    [['serve', ...gpu, '--data-parallel-size', '2', '--router', 'random'], [/--router expects one of round-robin, least-loaded, got "random"/]],
  ] as const) {
    test(`${args.slice(-2).join(' ')} is refused with exit code 2 and every reason`, async () => {
      const result = await runMain([...args]);
      assert.equal(result.code, 2, result.stdout);
      for (const message of messages) assert.match(result.stderr, message);
    });
  }
});
