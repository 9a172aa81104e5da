import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { causalDensity, generateMask, writeMasks } from '../../src/compiler/index.js';
import { loadMask, type AttentionMask } from '../../src/ir/index.js';
import { parseModel, type AttentionMasks } from '../../src/model/index.js';
import { temporaryDirectory, vhk158Hardware } from '../helpers.js';
import { compileTarget } from '../../src/backends/index.js';

function withMasks(attentionMasks: AttentionMasks) {
  const architecture = { hidden_size: 1024, intermediate_size: 2048, num_attention_heads: 8, num_hidden_layers: 2, vocab_size: 4096, max_position_embeddings: 4096 };
  return parseModel({ name: 'm', architecture, mapping: { attentionMasks } }).model;
}

const cell = (mask: AttentionMask, head: number, row: number, column: number) => mask.cells[(head * mask.rows + row) * mask.cols + column];

/** VHK158: 2048 tokens in 64-token cells. */
const BLOCKS = 32;

describe('attention masks', () => {
  test('dense keeps every cell on and below the diagonal, none above', () => {
    const mask = generateMask(withMasks({ pattern: 'dense' }), compileTarget(vhk158Hardware()), 0);
    assert.deepEqual([mask.heads, mask.rows, mask.cols], [8, BLOCKS, BLOCKS]);
    for (let row = 0; row < BLOCKS; row++) for (let column = 0; column < BLOCKS; column++) assert.equal(cell(mask, 3, row, column), column <= row ? 1 : 0);
  });

  test('local+sink keeps a window below the diagonal and the first columns', () => {
    const mask = generateMask(withMasks({ pattern: 'local+sink', windowBlocks: 3, sinkBlocks: 2 }), compileTarget(vhk158Hardware()), 1);
    for (let row = 0; row < BLOCKS; row++) {
      for (let column = 0; column < BLOCKS; column++) {
        const expected = column <= row && (row - column < 3 || column < 2) ? 1 : 0;
        assert.equal(cell(mask, 0, row, column), expected, `(${row}, ${column})`);
      }
    }
  });

  test('density keeps its share of the causal cells, the diagonal and the first column, nothing above', () => {
    const mask = generateMask(withMasks({ pattern: 'density', density: 0.3, seed: 7, locality: 1.5 }), compileTarget(vhk158Hardware()), 0);
    const causal = (BLOCKS * (BLOCKS + 1)) / 2;
    for (let head = 0; head < mask.heads; head++) {
      let kept = 0;
      for (let row = 0; row < BLOCKS; row++) {
        assert.equal(cell(mask, head, row, row), 1);
        assert.equal(cell(mask, head, row, 0), 1);
        for (let column = 0; column < BLOCKS; column++) {
          if (column > row) assert.equal(cell(mask, head, row, column), 0);
          else kept += cell(mask, head, row, column)!;
        }
      }
      assert.equal(kept, Math.round(0.3 * causal));
    }
    assert.ok(Math.abs(causalDensity(mask) - 0.3) < 0.5 / causal);
  });

  test('density masks are the same for the same seed and differ for another', () => {
    const spec = (seed: number) => withMasks({ pattern: 'density', density: 0.3, seed, locality: 1 });
    assert.deepEqual(generateMask(spec(1), compileTarget(vhk158Hardware()), 4), generateMask(spec(1), compileTarget(vhk158Hardware()), 4));
    assert.notDeepEqual(generateMask(spec(1), compileTarget(vhk158Hardware()), 4).cells, generateMask(spec(2), compileTarget(vhk158Hardware()), 4).cells);
    assert.notDeepEqual(generateMask(spec(1), compileTarget(vhk158Hardware()), 4).cells, generateMask(spec(1), compileTarget(vhk158Hardware()), 5).cells);
  });

  test('higher locality keeps more cells next to the diagonal', () => {
    const nearDiagonal = (locality: number) => {
      const mask = generateMask(withMasks({ pattern: 'density', density: 0.3, seed: 0, locality }), compileTarget(vhk158Hardware()), 0);
      let kept = 0;
      for (let head = 0; head < mask.heads; head++) for (let row = 2; row < BLOCKS; row++) kept += cell(mask, head, row, row - 1)!;
      return kept;
    };
    assert.ok(nearDiagonal(2) > nearDiagonal(0));
  });

  test('written masks read back cell for cell in FlightLLM\'s layout', () => {
    const model = withMasks({ pattern: 'density', density: 0.25, seed: 3, locality: 1 });
    const directory = temporaryDirectory();
    const paths = writeMasks(directory, model, compileTarget(vhk158Hardware()));
    assert.deepEqual(paths.map((path) => path.slice(directory.length + 1)), ['attention_mask_0.mask.npy', 'attention_mask_1.mask.npy']);
    assert.deepEqual(loadMask(join(directory, 'attention_mask_1.mask.npy')), generateMask(model, compileTarget(vhk158Hardware()), 1));
  });
});
