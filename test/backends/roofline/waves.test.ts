import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileTarget, kernelsMs, rooflineKernels, simulate, type Kernel, type RooflineHardware } from '../../../src/backends/index.js';
import { gemmTiles, waveUtilisation, type GemmShape } from '../../../src/backends/roofline/waves.js';
import { compileModel } from '../../../src/compiler/index.js';
import { loadModel, PrecisionSchema, type Model } from '../../../src/model/index.js';
import { shippedHardware } from '../../helpers.js';

/*
 * Wave quantisation (src/backends/roofline/waves.ts): a GEMM's output tiles
 * run in waves of the board's multiprocessors. What must hold follows from
 * the definition, not from its numbers: no GEMM computes faster than
 * without waves; one of whole tiles in whole waves computes exactly as
 * fast; a GEMM never gets faster as its rows grow; a board that names no
 * multiprocessors runs as before; short prompts slow down, long prompts and
 * decodes barely move.
 */

const roofline = (name: string, overrides?: Record<string, unknown>): RooflineHardware => {
  const hw = shippedHardware(name, overrides);
  if (hw.kind !== 'roofline') throw new Error(`${name} is not a roofline board`);
  return hw;
};
// The A100's 108 SMs and 128 × 128 tiles, whatever the shipped file says.
const SMS = 108;
const TILE = { tokens: 128, features: 128 };
const A100 = roofline('a100-80gb-sxm', { 'compute.multiprocessors': SMS, gemmTile: TILE });
const A100_WITHOUT_WAVES = roofline('a100-80gb-sxm', { 'compute.multiprocessors': undefined, gemmTile: undefined });
const fp16 = (model: Model): Model => ({ ...model, mapping: { ...model.mapping, precision: PrecisionSchema.parse('FP16') } });
const LLAMA = fp16(loadModel('llama2-7b').model);

/** A projection's compute alone: no bytes, no launch. */
const gemm = (shape: GemmShape, k: number): Kernel => ({ class: 'linear', bytes: 0, ops: 2 * shape.groups * shape.tokens * k * shape.features, dtype: 'fp16', gemm: [shape] });
const computeMs = (kernel: Kernel, hw: RooflineHardware) => kernelsMs([kernel], { ...hw, kernelLaunchUs: 0 });
const promptMs = (hw: RooflineHardware, tokens: number) => simulate(compileModel(LLAMA, { batch: { sequences: [{ newTokens: tokens, context: 0 }] }, target: compileTarget(hw) }).ir, hw).totalMs;

describe('wave quantisation', () => {
  test('the utilisation is in (0, 1] for any shape: useful outputs never exceed what the waves could compute', () => {
    for (const tokens of [1, 2, 7, 64, 127, 128, 129, 300, 467, 2048, 4100]) {
      for (const features of [64, 100, 128, 1000, 4096, 11008, 32000]) {
        for (const groups of [1, 3]) {
          const u = waveUtilisation([{ groups, tokens, features }], TILE, SMS);
          assert.ok(u > 0 && u <= 1, `${groups} × ${tokens} × ${features}: ${u}`);
        }
      }
    }
  });

  test('a GEMM of whole tiles in whole waves computes exactly as fast as without waves', () => {
    // Two rows of tiles by as many columns of tiles as the A100 has SMs: two full waves.
    const shape = { groups: 1, tokens: 2 * TILE.tokens, features: SMS * TILE.features };
    assert.equal(gemmTiles(shape, TILE), 2 * SMS);
    assert.equal(waveUtilisation([shape], TILE, SMS), 1);
    assert.equal(computeMs(gemm(shape, 4096), A100), computeMs(gemm(shape, 4096), A100_WITHOUT_WAVES));
  });

  test('no GEMM computes faster than without waves', () => {
    for (const tokens of [1, 16, 128, 200, 512, 1000]) {
      for (const features of [256, 4096, 12288]) {
        const kernel = gemm({ groups: 1, tokens, features }, 4096);
        assert.ok(computeMs(kernel, A100) >= computeMs(kernel, A100_WITHOUT_WAVES), `${tokens} × ${features}`);
      }
    }
  });

  test('a GEMM never computes faster as its rows grow: a partial tile takes a whole wave slot', () => {
    for (const features of [4096, 11008, 28672]) {
      let previous = 0;
      for (let tokens = 1; tokens <= 1100; tokens++) {
        const ms = computeMs(gemm({ groups: 1, tokens, features }, 4096), A100);
        // Rows that fill a tile already paid for cost the same time, up to rounding.
        assert.ok(ms >= previous * (1 - 1e-12), `${features} features: ${tokens} rows take ${ms} ms, ${tokens - 1} took ${previous} ms`);
        previous = ms;
      }
    }
  });

  test('a board that names no multiprocessors, or no tile, computes every projection at its efficiency alone, as before waves', () => {
    for (const hw of [roofline('s60'), roofline('a100-80gb-sxm', { 'compute.multiprocessors': SMS, gemmTile: undefined }), roofline('a100-80gb-sxm', { 'compute.multiprocessors': undefined, gemmTile: TILE }), A100_WITHOUT_WAVES]) {
      const { ir } = compileModel(LLAMA, { batch: { sequences: [{ newTokens: 128, context: 0 }] }, target: compileTarget(hw) });
      const profile = simulate(ir, hw);
      const { kernels } = rooflineKernels(ir, hw);
      kernels.forEach((kernel, index) => {
        if (kernel.class !== 'linear') return;
        const expected = (kernel.ops / (hw.compute.peakTops.fp16! * 1e12 * hw.efficiency.linear.compute)) * 1e3;
        assert.equal(profile.steps[index]!.modules['COMPUTE']!.busyMs, expected, `${hw.name}, ${profile.steps[index]!.name}`);
      });
    }
  });

  test('q, k and v share one GEMM, as do gate and up; the output and down projections run alone', () => {
    const { ir } = compileModel(LLAMA, { batch: { sequences: [{ newTokens: 128, context: 0 }] }, target: compileTarget(A100) });
    const { steps, kernels } = rooflineKernels(ir, A100);
    const partsOf = (name: string) => kernels[steps.findIndex((step) => step.layer.name === name)]!.gemm!.length;
    assert.deepEqual(['step_q_proj_layer_0', 'step_k_proj_layer_0', 'step_v_proj_layer_0'].map(partsOf), [3, 3, 3]);
    assert.deepEqual(['step_gate_layer_0', 'step_up_layer_0'].map(partsOf), [2, 2]);
    assert.deepEqual(['step_out_proj_layer_0', 'step_down_layer_0'].map(partsOf), [1, 1]);
  });

  test('a 128-token prompt of LLaMA-2-7B slows by more than a fifth on an A100, a 2048-token one by under 5 %', () => {
    // 128 rows: the output projection's 32 tiles leave 76 of 108 SMs idle; 2048 rows: 512 tiles fill 4.7 waves.
    assert.ok(promptMs(A100, 128) / promptMs(A100_WITHOUT_WAVES, 128) > 1.2);
    const long = promptMs(A100, 2048) / promptMs(A100_WITHOUT_WAVES, 2048);
    assert.ok(long >= 1 && long < 1.05, `2048 tokens: × ${long}`);
  });

  test("a lone decode step is as long with waves as without: one row's compute stays under its weights' memory time", () => {
    const decode = (hw: RooflineHardware) => simulate(compileModel(LLAMA, { batch: { sequences: [{ newTokens: 1, context: 511 }] }, target: compileTarget(hw) }).ir, hw).totalMs;
    assert.equal(decode(A100), decode(A100_WITHOUT_WAVES));
  });
});
