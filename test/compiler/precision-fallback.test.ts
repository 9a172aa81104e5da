import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileTarget } from '../../src/backends/index.js';
import { modelOnBoard } from '../../src/backends/index.js';
import { precisionOnBoard } from '../../src/compiler/index.js';
import { loadModel, parseModel, type Model } from '../../src/model/index.js';
import { runMain, shippedHardware, temporaryDirectory, TINY_ARCHITECTURE } from '../helpers.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * The precision a model runs at when none is asked for: a Hugging Face
 * checkpoint at its torch_dtype where the board serves checkpoints as they
 * are (GPUs), FlightLLM's preset where the board's flow quantises every
 * model (FlightLLM's boards), the board's default where it refuses the
 * model's own. Boards' precision lists are their files' (hardware/*.yaml).
 */

const config = (extra: Record<string, unknown>): Model => parseModel({ _name_or_path: 'org/Tiny-HF', model_type: 'llama', ...TINY_ARCHITECTURE, ...extra }).model;
const on = (model: Model, board: string) => precisionOnBoard(model, compileTarget(shippedHardware(board)));

describe('a Hugging Face config', () => {
  test('takes its torch_dtype: bfloat16 as BF16, float16 as FP16, and an fp8 quantization_config as FP8', () => {
    assert.equal(config({ torch_dtype: 'bfloat16' }).mapping.precision.preset, 'BF16');
    assert.equal(config({ torch_dtype: 'float16' }).mapping.precision.preset, 'FP16');
    assert.equal(config({ torch_dtype: 'bfloat16', quantization_config: { quant_method: 'fp8' } }).mapping.precision.preset, 'FP8');
    assert.equal(config({ torch_dtype: 'float16', quantization_config: { quant_method: 'gptq', bits: 4 } }).mapping.precision.preset, 'GPTQ-W4A16');
  });

  test('at bfloat16 runs as BF16 on a GPU that serves BF16, and at FlightLLM\'s preset on the VHK158', () => {
    const model = config({ torch_dtype: 'bfloat16' });
    assert.deepEqual([on(model, 'a100-80gb-sxm').precision.preset, on(model, 'a100-80gb-sxm').reason], ['BF16', undefined]);
    assert.deepEqual([on(model, 'vhk158').precision.preset, on(model, 'vhk158').reason], ['flightllm', 'checkpoint quantised']);
    // The V100S has no bfloat16: its default, FP16 (hardware/v100s.yaml's first precision).
    assert.deepEqual([on(model, 'v100s').precision.preset, on(model, 'v100s').reason], ['FP16', 'board refuses the model’s precision']);
  });

  test('FP8 runs on Hopper and falls back on an A100, which has no FP8', () => {
    const model = config({ torch_dtype: 'bfloat16', quantization_config: { quant_method: 'fp8' } });
    assert.equal(on(model, 'h100-sxm').precision.preset, 'FP8');
    assert.equal(on(model, 'a100-80gb-sxm').precision.preset, 'FP16');
  });

  test('without a torch_dtype gets FlightLLM\'s mapping, which FlightLLM\'s boards run and a GPU replaces by its default', () => {
    const model = config({});
    assert.equal(model.mapping.precision.preset, 'flightllm');
    assert.deepEqual([on(model, 'vhk158').precision.preset, on(model, 'vhk158').reason], ['flightllm', undefined]);
    assert.equal(on(model, 'a100-80gb-sxm').precision.preset, 'FP16');
  });
});

describe('a description of ours', () => {
  test('keeps its stated precision where the board runs it, and is the same object', () => {
    const { model } = loadModel('llama2-7b');
    assert.equal(modelOnBoard(model, shippedHardware('vhk158')).model, model);
    assert.equal(modelOnBoard(model, shippedHardware('a100-80gb-sxm')).model.mapping.precision.preset, 'FP16');
  });
});

describe('the CLI', () => {
  test('says which precision a bfloat16 checkpoint runs at on each kind of board', async () => {
    const file = join(temporaryDirectory(), 'config.json');
    writeFileSync(file, JSON.stringify({ _name_or_path: 'org/Tiny-HF', model_type: 'llama', torch_dtype: 'bfloat16', ...TINY_ARCHITECTURE }));
    const [gpu, fpga] = await Promise.all([
      runMain(['step', '--hardware', 'a100-80gb-sxm', '--model', file, '--seq', '1@64', '--fast', '--json']),
      runMain(['step', '--hardware', 'vhk158', '--model', file, '--seq', '1@64', '--fast', '--json']),
    ]);
    assert.equal(gpu.code, 0, gpu.stderr);
    assert.match(gpu.stderr, /assumed precision: BF16, the checkpoint's torch_dtype bfloat16/);
    assert.doesNotMatch(gpu.stderr, /running it at/);
    assert.equal(fpga.code, 0, fpga.stderr);
    assert.match(fpga.stderr, /vhk158 quantises tiny-hf's bfloat16 checkpoint; running it at flightllm, the board's default/);
  });
});
