import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deepFreeze } from '../../src/util/freeze.js';

describe('deepFreeze', () => {
  test('freezes every object and array of a graph and returns it', () => {
    const graph = { name: 'layer', shape: [1, 2, 3], input: [{ name: 'x', shape: [4] }], structure: { nested: { deeper: {} } } };
    assert.equal(deepFreeze(graph), graph);
    for (const part of [graph, graph.shape, graph.input, graph.input[0]!, graph.input[0]!.shape, graph.structure, graph.structure.nested, graph.structure.nested.deeper]) {
      assert.ok(Object.isFrozen(part), JSON.stringify(part));
    }
    assert.throws(() => {
      (graph.input[0]!.shape as number[]).push(5);
    }, TypeError);
  });

  test('leaves typed arrays writable, and primitives as they are', () => {
    const cells = new Uint8Array(4);
    const graph = deepFreeze({ cells });
    cells[0] = 1;
    assert.equal(graph.cells[0], 1);
    assert.equal(deepFreeze(3), 3);
    assert.equal(deepFreeze(null), null);
  });
});
