import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { exceedsNodes, MAX_YAML_NODES, parseYaml, parseYamlValue } from '../../src/util/yaml.js';
import { aliasBomb, thrown } from '../helpers.js';

describe('YAML limits', () => {
  test('a document whose aliases expand beyond MAX_YAML_NODES is refused at once, naming the file', () => {
    const text = aliasBomb(9);
    assert.ok(text.length < 600, `${text.length} bytes`);
    const started = performance.now();
    const error = thrown(UserError, () => parseYaml(text, 'bomb.yaml', UserError, 'hardware configuration'));
    assert.match(error.message, /^bomb\.yaml: hardware configuration too large: it holds more than 1,000,000 values once its aliases \(\*name\) are expanded \(MAX_YAML_NODES\)\.$/);
    // The count stops at the limit: a walk of a million values, not of 9^10.
    assert.ok(performance.now() - started < 5000);
  });

  test('aliases are counted as often as they are reached, and a tree at the limit passes', () => {
    // a0 holds 10 values (the list and nine numbers); each level a list of nine copies of the one before.
    const tree = parseYaml(aliasBomb(2), 'x.yaml', UserError, 'x') as Record<string, unknown>;
    const a1 = 1 + 9 * 10;
    const a2 = 1 + 9 * a1;
    const total = 1 + 10 + a1 + a2;
    assert.equal(exceedsNodes(tree, total), false);
    assert.equal(exceedsNodes(tree, total - 1), true);
  });

  test('a value on the command line is held to the same limit', () => {
    assert.deepEqual(parseYamlValue('[1, 2]'), [1, 2]);
    const bomb = aliasBomb(9).split('\n').filter(Boolean).map((line) => line.replace(/^a\d+: /, '')).join(', ');
    assert.throws(() => parseYamlValue(`[${bomb}]`), new RegExp(`more than ${MAX_YAML_NODES} values`));
  });
});
