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

  const hashesOf = (spec: RequestSpec) => new BlockHasher(spec, 16).upTo(Math.floor((spec.promptTokens - 1) / 16), spec.promptTokens);
  const requestOf = (spec: RequestSpec) => ({ hashes: hashesOf(spec), promptTokens: spec.promptTokens, knownTokens: spec.promptTokens });
  const everything = (pending: number) => pending;

  test('admits a prompt sharing the full blocks of an equal prefix, and counts them as hits', () => {
    const kv = new KvBlockManager({ blocks: 16, blockTokens: 16, prefixCaching: true });
    const first = shared(0, 40, 30);
    const a = table();
    assert.deepEqual(kv.admit(a, requestOf(first), everything), { cachedTokens: 0, newTokens: 70 });
    kv.register(a, hashesOf(first));
    const second = shared(1, 40, 10);
    // The 40 shared tokens fill two whole blocks; the third block holds the first request's own tokens.
    const b = table();
    assert.deepEqual(kv.admit(b, requestOf(second), everything), { cachedTokens: 32, newTokens: 50 - 32 });
    assert.deepEqual(b.blocks.slice(0, 2), a.blocks.slice(0, 2));
    assert.equal(kv.used(), a.blocks.length + b.blocks.length - 2);
    assert.deepEqual(kv.prefixStats, { queriedTokens: first.promptTokens + second.promptTokens, hitTokens: 32 });
  });

  test('a prompt it cannot admit changes nothing, its lookup included', () => {
    const kv = new KvBlockManager({ blocks: 4, blockTokens: 16, prefixCaching: true });
    const first = shared(0, 40, 8);
    const a = table();
    kv.admit(a, requestOf(first), everything);
    kv.register(a, hashesOf(first));
    const before = { stats: kv.prefixStats, available: kv.available() };
    // Two blocks are cached, but 100 more tokens need seven blocks of 16: more than are left.
    const big = table();
    assert.equal(kv.admit(big, requestOf(shared(1, 40, 100)), everything), undefined);
    // A policy that declines to compute anything now does not admit either.
    assert.equal(kv.admit(table(), requestOf(shared(2, 40, 4)), () => 0), undefined);
    assert.deepEqual({ stats: kv.prefixStats, available: kv.available() }, before);
    assert.equal(big.blocks.length, 0);
  });

  test('keeps freed cached blocks until their room is needed, least recently freed first', () => {
    const kv = new KvBlockManager({ blocks: 6, blockTokens: 16, prefixCaching: true });
    const spec = shared(0, 48, 1);
    const hashes = new BlockHasher(spec, 16).upTo(3, spec.promptTokens);
    const a = table();
    kv.allocate(a, 48);
    kv.register(a, hashes);
    kv.release(a);
    assert.equal(kv.available(), 6);
    // A 49-token prompt may take all three blocks from the cache and computes its last token.
    const cachedNow = () => {
      const probe = table();
      const cached = kv.admit(probe, { hashes, promptTokens: 49, knownTokens: 49 }, everything)?.cachedTokens;
      kv.release(probe);
      return cached;
    };
    assert.equal(cachedNow(), 48);
    // Room for new blocks comes from free blocks first, then from the cached block freed longest ago: the sequence's last.
    const takeOne = () => {
      const t = table();
      kv.allocate(t, 1);
      return t;
    };
    // Take every free block, then one more: it evicts a cached block. Then give back enough for the probe's new blocks.
    const evictOne = (cachedBlocks: number) => {
      const held = Array.from({ length: kv.available() - cachedBlocks }, takeOne);
      kv.release(takeOne());
      const probeNeeds = kv.blocksFor(49) - (cachedBlocks - 1);
      while (kv.available() - (cachedBlocks - 1) < probeNeeds) kv.release(held.pop()!);
      return held;
    };
    const kept = [...evictOne(3)];
    assert.equal(cachedNow(), 32);
    kept.push(...evictOne(2));
    assert.equal(cachedNow(), 16);
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
