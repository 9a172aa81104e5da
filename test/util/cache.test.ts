import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { ContentCache, schemaCheck, type CacheRejection } from '../../src/util/cache.js';
import { contentHash } from '../../src/util/hash.js';
import { temporaryDirectory } from '../helpers.js';

const Figures = z.strictObject({ latencyMs: z.number().positive(), rows: z.array(z.number().int()) });
const check = schemaCheck(Figures);
const KEY = 'k'.repeat(64);

/** A cache in a fresh directory, the rejections it reports, and the path of its one entry. */
function freshCache(): { cache: ContentCache; rejections: CacheRejection[]; entry: string } {
  const directory = temporaryDirectory();
  const rejections: CacheRejection[] = [];
  return { cache: new ContentCache(directory, { onRejected: (rejection) => rejections.push(rejection) }), rejections, entry: join(directory, 'figures', `${KEY}.json`) };
}

/** An entry as `set` writes it: its header (key, digest of the value's text), then the text. */
const entryText = (key: string, body: string) => `${JSON.stringify({ key, sha256: contentHash(body) })}\n${body}`;

describe('content cache', () => {
  test('a value read back is the value written, checked by its schema', () => {
    const { cache, rejections } = freshCache();
    assert.equal(cache.get('figures', KEY, check), undefined);
    cache.set('figures', KEY, { latencyMs: 1.5, rows: [1, 2] });
    assert.deepEqual(cache.get('figures', KEY, check), { latencyMs: 1.5, rows: [1, 2] });
    assert.deepEqual(rejections, []);
  });

  const damaged: Array<[string, (text: string) => string, RegExp]> = [
    ['a value of null, with a true digest', () => entryText(KEY, 'null'), /\(the value\): /],
    ['a value the schema refuses, with a true digest', () => entryText(KEY, '{"latencyMs":-1,"rows":[1]}'), /latencyMs: /],
    ['a value edited after it was written', (text) => text.replace('1.5', '2.5'), /does not match its digest/],
    ['a truncated entry', (text) => text.slice(0, -4), /does not match its digest/],
    ['an entry of an earlier version, without a header', () => '{"latencyMs":1.5,"rows":[1,2]}', /no header line/],
    ['an entry copied from another key', (text) => text.replace(KEY, 'x'.repeat(64)), /names another key/],
    ['an empty file', () => '', /no header line/],
  ];
  for (const [name, damage, reason] of damaged) {
    test(`${name} is refused, reported once, removed, and read as absent`, () => {
      const { cache, rejections, entry } = freshCache();
      cache.set('figures', KEY, { latencyMs: 1.5, rows: [1, 2] });
      writeFileSync(entry, damage(readFileSync(entry, 'utf8')));
      assert.equal(cache.get('figures', KEY, check), undefined);
      assert.equal(cache.get('figures', KEY, check), undefined);
      assert.equal(rejections.length, 1, JSON.stringify(rejections));
      assert.equal(rejections[0]!.path, entry);
      assert.match(rejections[0]!.reason, reason);
      assert.equal(existsSync(entry), false);
      // The caller computes the value again and stores it: the next read trusts it.
      cache.set('figures', KEY, { latencyMs: 1.5, rows: [1, 2] });
      assert.deepEqual(cache.get('figures', KEY, check), { latencyMs: 1.5, rows: [1, 2] });
    });
  }

  test('an entry is written whole: no temporary file stays beside it', () => {
    const { cache, entry } = freshCache();
    cache.set('figures', KEY, { latencyMs: 1, rows: [] });
    assert.deepEqual(readdirSync(join(entry, '..')), [`${KEY}.json`]);
  });
});
