import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitKMatrixMatrix, splitKMatrixVector } from '../../../../src/backends/flightllm/instgen/layers/k-split.js';
import { vhk158Hardware } from '../../../helpers.js';

/*
 * Expected splits are derived here from the VHK158 buffers: a block of
 * 16 × 16 int8 weights is 256 bytes. In matrix-matrix mode it fills
 * 256 / 32 = 8 words of the 4096-word B buffer, and a K split must fit twice
 * (2048 words, i.e. 256 blocks). In matrix-vector mode a block of one A
 * channel's share takes 16 × 2 × 4 / 64 = 2 words per 2-value unit, 8 units
 * per block, divided over 4 channel loops: 4 words per block.
 */

describe('K split, matrix-matrix', () => {
  test('K = 4096 (256 blocks) fits in one split with room for two', () => {
    const split = splitKMatrixMatrix(vhk158Hardware(), 256);
    assert.ok(typeof split !== 'string');
    assert.deepEqual(split.ranges, [[0, 256]]);
    // Weights: 4096 / (256 × 8) = 2. Metadata (half the bytes, in 16-byte words): 4096 / (256 × 8) = 2. FSB: 4096 / 256 = 16.
    assert.equal(split.depth, 2);
  });

  test('K = 11008 (688 blocks) needs ⌈688 × 8 / 2048⌉ = 3 splits of ⌊688 / 3⌋ = 229 blocks, which leave a fourth of 1 block', () => {
    const split = splitKMatrixMatrix(vhk158Hardware(), 688);
    assert.ok(typeof split !== 'string');
    assert.deepEqual(split.ranges, [[0, 229], [229, 458], [458, 687], [687, 688]]);
    // 4096 / (229 × 8) = 2 for the weights; FSB: 4096 / ⌈688 / 4⌉ = 23.
    assert.equal(split.depth, 2);
  });
});

describe('K split, matrix-vector', () => {
  test('K = 4096 starts from ⌈256 × 16 / 2048⌉ = 2 splits, as FlightLLM does, though one would fit', () => {
    const split = splitKMatrixVector(vhk158Hardware(), 256, 4);
    assert.ok(typeof split !== 'string');
    assert.deepEqual(split.ranges, [[0, 128], [128, 256]]);
    // Weights: 4096 / (128 × 4) = 8; metadata: 4096 / (128 × 8) = 4; FSB: 4096 / 128 = 32.
    assert.equal(split.depth, 4);
  });

  test('K = 11008 (688 blocks) starts from ⌈688 × 16 / 2048⌉ = 6 splits of 114 blocks, plus a seventh of 4', () => {
    const split = splitKMatrixVector(vhk158Hardware(), 688, 4);
    assert.ok(typeof split !== 'string');
    assert.equal(split.ranges.length, 7);
    assert.deepEqual(split.ranges.at(-1), [684, 688]);
    assert.equal(split.depth, Math.min(Math.floor(4096 / (114 * 4)), Math.floor(4096 / (114 * 8)), Math.floor(4096 / Math.ceil(688 / 7))));
  });
});
