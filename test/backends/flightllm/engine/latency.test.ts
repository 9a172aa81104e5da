import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Module } from '../../../../src/backends/flightllm/isa/index.js';
import { latencyModel } from '../../../../src/backends/flightllm/engine/index.js';
import { vhk158Hardware } from '../../../helpers.js';

/*
 * Expected latencies are derived from the VHK158 figures: 225 MHz; HBM
 * 819.2 GiB/s over 32 channels, 70 % efficient on a buffer's own channels and
 * 35 % across; a 2 × 16 × 128 MM array and a 64 × 16 MV array; everything
 * divided by the calibration factor 3.2.
 */
const cycleMs = 1 / 225e3;
const channelBytesPerMs = (819.2 * 2 ** 30) / 32 / 1e3;
const calibration = 3.2;
const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) <= 1e-12 * expected, `${actual} vs ${expected}`);

const base = { wait: 0, release: 0, hbmAddress: 0, bankAddress: 0, hbmChannel: 0 };

describe('latency model', () => {
  const latency = latencyModel(vhk158Hardware());

  test('a load over 8 home channels moves 8 × 70 % of a channel', () => {
    const ms = latency.load({ ...base, target: 'a', lengthBytes: 4096, zeroFill: false, crossChannel: false, parallelChannels: 8, bandwidthRatio: 1 });
    close(ms, 4096 / (8 * 0.7 * channelBytesPerMs) / calibration);
  });

  test('a cross-channel weight load of 4-bit, 70 %-dense weights is 2 / 0.7 times faster than int8 would be', () => {
    const ms = latency.load({ ...base, target: 'b', lengthBytes: 65536, zeroFill: false, crossChannel: true, parallelChannels: 1, bandwidthRatio: 2 / 0.7 });
    close(ms, 65536 / (0.35 * (2 / 0.7) * channelBytesPerMs) / calibration);
  });

  test('a zero fill writes 256 bytes per channel per cycle, without HBM', () => {
    const ms = latency.load({ ...base, target: 'a', lengthBytes: 8192, zeroFill: true, crossChannel: false, parallelChannels: 8, bandwidthRatio: 1 });
    close(ms, (8192 / (256 * 8)) * cycleMs / calibration);
  });

  test('a store over 8 channels, and one crossing channels', () => {
    const store = { ...base, lengthBytes: 2048, bandwidthRatio: 1 };
    close(latency.store({ ...store, crossChannel: false, parallelChannels: 8 }), 2048 / (0.7 * 8 * channelBytesPerMs) / calibration);
    close(latency.store({ ...store, crossChannel: true, parallelChannels: 1 }), 2048 / (0.35 * channelBytesPerMs) / calibration);
  });

  test('MM: a 128 × 16 tile over K blocks of 16 on 4096 multipliers; sparsity scales the work', () => {
    const mm = { wait: 0, release: 0, kBlocks: 256, aAddress: 0, bAddress: 0, outAddress: 0, biasAddress: 0, metaAddress: 0, fsbAddress: 0, bias: false, relu: false, output: true, rate: 1 };
    close(latency.matrix(Module.MM, { ...mm, sparse: false, sparseRatio: 1 }), ((128 * 16 * 256 * 16) / 4096) * cycleMs / calibration);
    close(latency.matrix(Module.MM, { ...mm, sparse: true, sparseRatio: 0.7 }), ((128 * 16 * 256 * 16 * 0.7) / 4096) * cycleMs / calibration);
  });

  test('MV: a 512-wide tile over K blocks of 16 on 1024 multipliers', () => {
    const mv = { wait: 0, release: 0, kBlocks: 128, aAddress: 0, bAddress: 0, outAddress: 0, biasAddress: 0, metaAddress: 0, fsbAddress: 0, bias: false, relu: false, output: true, sparse: false, sparseRatio: 1, rate: 1 };
    close(latency.matrix(Module.MV, mv), ((512 * 128 * 16) / 1024) * cycleMs / calibration);
  });

  test('softmax and norms stream their row twice; element-wise ops and SiLU once', () => {
    const misc = { wait: 0, release: 0, kBlocks: 8, inAAddress: 0, inBAddress: 0, outAddress: 0, rate: 1 };
    close(latency.misc({ ...misc, operation: 'softmax' }), ((8 * 16) / 16) * 2 * cycleMs / calibration);
    close(latency.misc({ ...misc, operation: 'rms_norm' }), ((8 * 16) / 16) * 2 * cycleMs / calibration);
    close(latency.misc({ ...misc, operation: 'eltwise_add' }), ((8 * 16) / 16) * cycleMs / calibration);
    close(latency.misc({ ...misc, operation: 'silu' }), ((8 * 16) / 16) * cycleMs / calibration);
  });

  test('SYS takes one cycle', () => {
    close(latency.sys(), cycleMs / calibration);
  });
});
