import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { compareWithGpu, gpuFigures, gpuProfilesFor, loadGpuProfile } from '../../src/profiler/index.js';
import { ROOT, temporaryDirectory, thrown } from '../helpers.js';

const header = 'device,backend,batch,prompt,generated,prefill_ms,decode_ms,total_ms,source';
function csv(lines: string[]): string {
  const file = join(temporaryDirectory(), 'gpu.csv');
  writeFileSync(file, `${[header, ...lines].join('\n')}\n`);
  return file;
}

/** A GPU profile CSV with a `model` column. */
function csvWithModel(lines: string[]): string {
  const file = join(temporaryDirectory(), 'gpu.csv');
  writeFileSync(file, `${[`${header},model`, ...lines].join('\n')}\n`);
  return file;
}


describe('GPU columns', () => {
  test('one backend on two devices makes two columns, each with its own figures', () => {
    const a100 = loadGpuProfile(csv(['A100,GPU-opt,1,128,512,17.6,5727.0,5744.6,x']));
    const h100 = loadGpuProfile(csv(['H100,GPU-opt,1,128,512,9.0,3000.0,3009.0,y']));
    const { matching } = gpuProfilesFor([a100, h100], { names: ['llama2-7B'] });
    assert.deepEqual(matching.map((gpu) => gpu.label), ['GPU-opt (A100)', 'GPU-opt (H100)']);
    const comparison = compareWithGpu([], matching);
    assert.deepEqual(comparison.cases[0]!.gpu['GPU-opt (A100)']?.totalMs, 5744.6);
    assert.deepEqual(comparison.cases[0]!.gpu['GPU-opt (H100)']?.totalMs, 3009.0);
  });

  test('two files of the same device and backend are an error naming both', () => {
    const first = csv(['A100,GPU-opt,1,128,512,17.6,5727.0,5744.6,x']);
    const second = csv(['A100,GPU-opt,1,128,512,99.0,9999.0,10098.0,y']);
    const error = thrown(UserError, () => gpuProfilesFor([loadGpuProfile(first), loadGpuProfile(second)], { names: ['m'] }));
    assert.match(error.message, /^two GPU profiles of GPU-opt on A100: .* and .* both hold it/);
    assert.ok(error.message.includes(first) && error.message.includes(second));
  });

  test('a file of several devices is refused', () => {
    assert.match(thrown(UserError, () => loadGpuProfile(csv(['A100,GPU-opt,1,128,512,1,2,3,x', 'H100,GPU-opt,1,128,1024,1,2,3,x']))).message, /expected one device per file, found A100, H100/);
  });
});

describe('GPU profiles', () => {
  test("the shipped profiles hold the seed's six cases for each backend", () => {
    const naive = loadGpuProfile(join(ROOT, 'compiler_output', 'gpu_profile', 'a100-hf-transformers.csv'));
    const vllm = loadGpuProfile(join(ROOT, 'compiler_output', 'gpu_profile', 'a100-vllm.csv'));
    assert.deepEqual([naive.label, vllm.label], ['GPU-naive', 'GPU-opt']);
    assert.equal(naive.rows.length, 6);
    // Throughput is generated tokens over decode time: 512 / 11.3169 s, 45.2 in the seed.
    assert.equal(gpuFigures(naive, { batch: 1, prompt: 128, generated: 512 })?.tokensPerSecond.toFixed(1), '45.2');
  });

  test('a quoted source with commas is one field', () => {
    const profile = loadGpuProfile(csv(['H100,"vLLM, bf16",1,128,64,10,600,610,"measured here, twice"']));
    assert.equal(profile.label, 'vLLM, bf16');
    assert.equal(profile.rows[0]?.source, 'measured here, twice');
  });

  test('a non-numeric figure is named by line and column', () => {
    const file = csv(['A100,vllm,1,128,512,17.6,5727.0,5744.6,seed', 'A100,vllm,1,512,five hundred,40.4,5879.7,5920.1,seed']);
    const error = thrown(UserError, () => loadGpuProfile(file));
    assert.equal(error.message, `${file}: invalid GPU profile: line 3, generated: expected a number, got "five hundred"`);
  });

  test('a missing column is named', () => {
    const file = join(temporaryDirectory(), 'gpu.csv');
    writeFileSync(file, 'device,backend,batch,prompt,generated,prefill_ms,total_ms,source\nA100,vllm,1,128,512,1,3,x\n');
    assert.match(thrown(UserError, () => loadGpuProfile(file)).message, /line 1: expected the columns device, backend, .*; missing decode_ms\./);
  });

  test('a row with the wrong number of fields is reported with its line', () => {
    const file = csv(['A100,vllm,1,128,512,17.6,5727.0,5744.6,seed', 'A100,vllm,1,512']);
    assert.match(thrown(UserError, () => loadGpuProfile(file)).message, /malformed GPU profile CSV: .*line 3/i);
  });

  test('comparison keeps cases one side lacks, lists them, and invents nothing', () => {
    const gpu = loadGpuProfile(csv(['A100,vllm,1,128,512,10,1000,1010,x', 'A100,vllm,1,256,256,10,500,510,x']));
    const fpga = [
      { case: { batch: 1, prompt: 128, generated: 512 }, device: { prefillMs: 5, decodeMs: 500, totalMs: 505, tokensPerSecond: 1024 } },
      { case: { batch: 1, prompt: 512, generated: 512 }, device: { prefillMs: 9, decodeMs: 600, totalMs: 609, tokensPerSecond: 853 } },
    ];
    const comparison = compareWithGpu(fpga, [gpu]);
    assert.deepEqual(comparison.cases.map((c) => `${c.case.prompt}+${c.case.generated}`), ['128+512', '512+512', '256+256']);
    assert.equal(comparison.cases[0]?.speedup['vllm'], 1010 / 505);
    assert.equal(comparison.cases[1]?.speedup['vllm'], undefined);
    assert.equal(comparison.cases[2]?.device, undefined);
    assert.deepEqual(comparison.missing, [`1x512x512: not in vllm (${gpu.file})`, '1x256x256: no FPGA figures']);
  });

  test("with deviceCasesOnly, cases only a GPU profile has are neither listed nor reported missing", () => {
    const gpu = loadGpuProfile(csv(['A100,vllm,1,128,512,10,1000,1010,x', 'A100,vllm,1,256,256,10,500,510,x']));
    const fpga = [{ case: { batch: 1, prompt: 128, generated: 512 }, device: { prefillMs: 5, decodeMs: 500, totalMs: 505, tokensPerSecond: 1024 } }];
    const comparison = compareWithGpu(fpga, [gpu], { deviceCasesOnly: true });
    assert.deepEqual(comparison.cases.map((c) => `${c.case.prompt}+${c.case.generated}`), ['128+512']);
    assert.deepEqual(comparison.missing, []);
    assert.equal(comparison.cases[0]?.speedup['vllm'], 1010 / 505);
  });
});

describe('GPU rows by model', () => {
  const names = { names: ['LLaMA2-7B', 'llama2-7b'] };

  test('the model column is read; a row that leaves it empty has an empty model', () => {
    const profile = loadGpuProfile(csvWithModel(['A100,vllm,1,128,512,10,1000,1010,x,LLaMA2-7B', 'A100,vllm,1,256,256,10,500,510,x,']));
    assert.deepEqual(profile.rows.map((row) => row.model), ['LLaMA2-7B', '']);
  });

  test("rows naming the model in any case, or naming none, are kept; other models' rows are dropped", () => {
    const profile = loadGpuProfile(
      csvWithModel([
        'A100,vllm,1,128,512,10,1000,1010,x,llama2-7B',
        'A100,vllm,1,128,512,20,2000,2020,x,Qwen2.5-32B',
        'A100,vllm,1,256,256,10,500,510,x,',
        'A100,vllm,1,512,512,30,3000,3030,x,LLAMA2-7B',
      ]),
    );
    const { matching, other } = gpuProfilesFor([profile], names);
    assert.deepEqual(other, []);
    assert.equal(matching.length, 1);
    assert.deepEqual(matching[0]!.rows.map((row) => [row.prompt, row.model]), [[128, 'llama2-7B'], [256, ''], [512, 'LLAMA2-7B']]);
    // The narrowed profile keeps its label and file, and the figures of the case now come from the model's row.
    assert.equal(matching[0]!.label, profile.label);
    assert.equal(matching[0]!.file, profile.file);
    assert.equal(gpuFigures(matching[0]!, { batch: 1, prompt: 128, generated: 512 })?.totalMs, 1010);
  });

  test('a profile without a model column applies to any model', () => {
    const profile = loadGpuProfile(csv(['A100,vllm,1,128,512,10,1000,1010,x']));
    assert.equal(profile.rows[0]!.model, undefined);
    assert.deepEqual(gpuProfilesFor([profile], names), { matching: [profile], other: [] });
  });

  test('a profile with no row for the model is returned apart, unchanged, and the others keep their order', () => {
    const qwen = loadGpuProfile(csvWithModel(['H100,sglang,1,128,512,5,500,505,x,Qwen2.5-32B']));
    const first = loadGpuProfile(csvWithModel(['A100,vllm,1,128,512,10,1000,1010,x,llama2-7b']));
    const second = loadGpuProfile(csv(['A100,hf,1,128,512,20,2000,2020,x']));
    const { matching, other } = gpuProfilesFor([first, qwen, second], names);
    assert.deepEqual(matching.map((gpu) => gpu.label), ['vllm', 'hf']);
    assert.deepEqual(other, [qwen]);
  });
});
