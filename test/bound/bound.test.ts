import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compileModel } from '../../src/compiler/index.js';
import { loadIr, maskDirectory, type Layer } from '../../src/ir/index.js';
import { runSimulationJob } from '../../src/profiler/index.js';
import { physicalBound } from '../../src/bound/index.js';
import { simulate } from '../../src/backends/index.js';
import { NO_REFERENCE, REFERENCE_DIR, shippedHardware, tinyDecodeIr, tinyModel, vhk158Hardware } from '../helpers.js';
import { compileTarget } from '../../src/backends/index.js';

const GIB = 2 ** 30;
const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.abs(expected), `${what}: ${actual} vs ${expected}`);

const tiny = tinyModel();

describe('the physical bound on the VHK158', () => {
  const hw = vhk158Hardware();
  // The bandwidth FlightLLM's profiler uses: 819.2 "GB/s" read as GiB/s.
  const bytesPerSecond = 819.2 * GIB;
  // The matrix engines of every SLR at int8: the larger of the MM and MV arrays.
  const macsPerSecond = hw.slrCount * Math.max(2 * 16 * 128, 64 * 16 * 1) * hw.clock.frequencyMHz * 1e6;

  test("tinyDecodeIr: its bytes are the weights at the 4-bit convention, pruned values left out; its MACs every kept product's", () => {
    const bound = physicalBound(tinyDecodeIr(), hw);
    // gate: 1024 × 2048 dense; down: 2048 × 1024 keeping half. 4 bits a weight.
    const bytes = (1024 * 2048 * 1 * 4) / 8 + (2048 * 1024 * 0.5 * 4) / 8;
    assert.equal(bound.bytes, bytes);
    close(bound.memoryMs, (bytes / bytesPerSecond) * 1000, 'memoryMs');
    assert.equal(bound.peakBandwidthGBps, bytesPerSecond / 1e9);
    const macs = 1 * 1024 * 2048 + 1 * 2048 * 1024 * 0.5;
    assert.equal(bound.macs, macs);
    close(bound.computeMs, (macs / macsPerSecond) * 1000, 'computeMs');
    assert.equal(bound.peakTmacs, macsPerSecond / 1e12);
    assert.equal(bound.boundMs, Math.max(bound.memoryMs, bound.computeMs));
    assert.equal(bound.limit, bound.memoryMs >= bound.computeMs ? 'memory' : 'compute');
  });

  test('a decode step also reads the KV cache its attention layers multiply', () => {
    const tokens = 64;
    const { ir } = compileModel(tiny, { stage: 'decode', tokens, target: compileTarget(hw) });
    const bound = physicalBound(ir, hw);
    const [hidden, intermediate, vocab, kvWidth, layers] = [512, 1024, 2048, 2 * 128, 2];
    const linearElements = layers * (2 * hidden * hidden + 2 * hidden * kvWidth + 3 * hidden * intermediate) + hidden * vocab;
    // Per layer, QKᵀ reads every key and S·V every value: 2 key/value heads × 128 × 64 tokens, int8.
    const kvBytes = layers * 2 * (2 * 128 * tokens);
    assert.equal(ir.filter((layer) => layer.type === 'attention_mv').length, layers * 2);
    assert.equal(bound.bytes, (linearElements * 4) / 8 + kvBytes);
    close(bound.memoryMs, (bound.bytes / bytesPerSecond) * 1000, 'memoryMs');
    // Attention: 4 query heads × 1 row × 128 × 64 for each of the two products.
    const attentionMacs = layers * 2 * (4 * 1 * 128 * tokens);
    assert.equal(bound.macs, linearElements + attentionMacs);
  });

  test('fp16 activations lower the compute peak by precision.matrixRate.fp16.int8', () => {
    const fp16 = tinyDecodeIr().map((layer) => ({ ...layer, input: layer.input.map((t) => ({ ...t, dtype: 'fp16' as const })) }) as Layer);
    const int8Bound = physicalBound(tinyDecodeIr(), hw);
    close(physicalBound(fp16, hw).computeMs, int8Bound.computeMs / hw.precision.matrixRate.fp16!.int8!, 'computeMs');
  });

  test('the simulated decode latency is at or above the bound', () => {
    for (const ir of [tinyDecodeIr(), compileModel(tiny, { stage: 'decode', tokens: 64, target: compileTarget(hw) }).ir]) {
      const simulated = simulate(ir, hw).totalMs;
      const bound = physicalBound(ir, hw).boundMs;
      assert.ok(bound > 0 && simulated >= bound, `${simulated} ms vs a bound of ${bound} ms`);
    }
  });

  test("FlightLLM's prefill and decode IR simulate at or above their bound; masks add prefill attention work", { skip: NO_REFERENCE }, () => {
    const masks = maskDirectory(join(REFERENCE_DIR, 'ir_output', 'attention_mask'));
    for (const name of ['llama2_prefill_token_128', 'llama2_decode_token_512']) {
      const ir = loadIr(join(REFERENCE_DIR, 'ir_output', `${name}.yaml`));
      const simulated = simulate(ir, hw, { masks }).totalMs;
      const bound = physicalBound(ir, hw, { masks });
      assert.ok(bound.boundMs > 0 && simulated >= bound.boundMs, `${name}: ${simulated} ms vs a bound of ${bound.boundMs} ms`);
    }
    const prefill = loadIr(join(REFERENCE_DIR, 'ir_output', 'llama2_prefill_token_128.yaml'));
    assert.ok(physicalBound(prefill, hw, { masks }).macs > physicalBound(prefill, hw).macs);
  });
});

describe('the physical bound on the U250', () => {
  const hw = shippedHardware('u250');
  /** tinyDecodeIr with every weight dense. */
  const dense = tinyDecodeIr().map((layer) => ('param' in layer && layer.type === 'linear_mv' ? { ...layer, param: layer.param.map((p) => ({ ...p, sparse_flag: false, sparse_ratio: 1 })) } : layer) as Layer);

  test('its bytes are the weights at their 8 bits, against the 77 GB/s of all DDR channels', () => {
    const bound = physicalBound(dense, hw);
    const bytes = ((1024 * 2048 + 2048 * 1024) * 8) / 8;
    assert.equal(bound.bytes, bytes);
    assert.equal(bound.peakBandwidthGBps, 77);
    close(bound.memoryMs, (bytes / 77e9) * 1000, 'memoryMs');
  });

  test('the simulated latency is at or above the bound', () => {
    const simulated = simulate(dense, hw).totalMs;
    assert.ok(simulated >= physicalBound(dense, hw).boundMs);
  });

  test('pruned weights count in full: the DPU has no sparse mode', () => {
    // tinyDecodeIr's down weight keeps half its values; the DPU streams and multiplies all of them.
    assert.deepEqual(physicalBound(tinyDecodeIr(), hw), physicalBound(dense, hw));
  });
});

describe('the bound as a check on the simulator', () => {
  test('a calibration that makes the board faster than its peak fails the job as an error in the hardware description, naming what to lower', () => {
    const hardware = shippedHardware('vhk158', { 'calibration.timeDivisor': 100 });
    const outcome = runSimulationJob({ kind: 'compile', model: tiny, hardware, stage: 'decode', tokens: 64 });
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.userError, true);
    assert.match(outcome.message, /below the physical bound/);
    assert.match(outcome.message, /lower its calibration \(calibration\.timeDivisor/);
    assert.match(outcome.message, /tiny_decode_token_64/);
  });

  test('the shipped calibration passes the same check', () => {
    const outcome = runSimulationJob({ kind: 'compile', model: tiny, hardware: vhk158Hardware(), stage: 'decode', tokens: 64 });
    assert.equal(outcome.ok, true, outcome.ok ? '' : outcome.message);
    if (!outcome.ok) return;
    assert.ok(outcome.profile.totalMs >= outcome.bound.boundMs);
  });
});
