import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BlockHasher, KvBlockManager, uniquePrompt, type RequestSpec } from '../../src/serving/index.js';

const table = () => ({ blocks: [] as number[] });
const shared = (id: number, prefix: number, own: number): RequestSpec => ({ id, arrivalMs: 0, prompt: [{ content: 7, length: prefix }, uniquePrompt(id, own)], promptTokens: prefix + own, outputTokens: 4 });

describe('the paged KV cache', () => {
  test('gives a sequence one block per block of tokens, and refuses, changing nothing, beyond its blocks', () => {
    const kv = new KvBlockManager({ blocks: 4, blockTokens: 16, prefixCaching: false });
    const a = table();
    assert.equal(kv.allocate(a, 33), true);
    assert.equal(a.blocks.length, 3);
    assert.equal(kv.allocate(a, 48), true);
    assert.equal(a.blocks.length, 3);
    const b = table();
    assert.equal(kv.allocate(b, 17), false);
    assert.equal(b.blocks.length, 0);
    assert.equal(kv.available(), 1);
    kv.release(a);
    assert.equal(kv.available(), 4);
    assert.equal(a.blocks.length, 0);
  });

  test('shares the full blocks of an equal prefix, and counts them as hits', () => {
    const kv = new KvBlockManager({ blocks: 16, blockTokens: 16, prefixCaching: true });
    const first = shared(0, 40, 30);
    const hashesOf = (spec: RequestSpec) => new BlockHasher(spec, 16).upTo(Math.floor((spec.promptTokens - 1) / 16), spec.promptTokens);
    const a = table();
    assert.equal(kv.cachedBlocks(hashesOf(first), first.promptTokens), 0);
    kv.allocate(a, first.promptTokens);
    kv.register(a, hashesOf(first));
    const second = shared(1, 40, 10);
    // The 40 shared tokens fill two whole blocks; the third block holds the first request's own tokens.
    const hits = kv.cachedBlocks(hashesOf(second), second.promptTokens);
    assert.equal(hits, 2);
    const b = table();
    assert.equal(kv.allocate(b, second.promptTokens, hashesOf(second).slice(0, hits)), true);
    assert.deepEqual(b.blocks.slice(0, 2), a.blocks.slice(0, 2));
    assert.equal(kv.used(), a.blocks.length + b.blocks.length - 2);
    assert.equal(kv.hitTokens / kv.queriedTokens, 32 / (first.promptTokens + second.promptTokens));
  });

  test('keeps freed cached blocks until their room is needed, least recently freed first', () => {
    const kv = new KvBlockManager({ blocks: 3, blockTokens: 16, prefixCaching: true });
    const spec = shared(0, 48, 1);
    const hashes = new BlockHasher(spec, 16).upTo(3, spec.promptTokens);
    const a = table();
    kv.allocate(a, 48);
    kv.register(a, hashes);
    kv.release(a);
    assert.equal(kv.available(), 3);
    assert.equal(kv.cachedBlocks(hashes, 48), 3);
    // One new block evicts one cached block: the last of the sequence, freed first.
    const b = table();
    kv.allocate(b, 1);
    assert.equal(kv.cachedBlocks(hashes, 48), 2);
  });
});

describe('block hashes', () => {
  test('are equal exactly where every token before the block end is equal', () => {
    const hashes = (spec: RequestSpec) => new BlockHasher(spec, 16).upTo(10, spec.promptTokens);
    const a = hashes(shared(0, 40, 60));
    const b = hashes(shared(1, 40, 60));
    assert.deepEqual(a.slice(0, 2), b.slice(0, 2));
    assert.notEqual(a[2], b[2]);
    assert.ok(a.slice(2).every((hash, i) => hash !== b[i + 2]));
  });

  test('hash literal token ids by value', () => {
    const spec = (id: number): RequestSpec => ({ id, arrivalMs: 0, prompt: [{ ids: Int32Array.from({ length: 32 }, (_, i) => i * 7) }], promptTokens: 32, outputTokens: 1 });
    assert.deepEqual(new BlockHasher(spec(0), 16).upTo(2, 32), new BlockHasher(spec(5), 16).upTo(2, 32));
  });
});
