import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { OutputError } from '../../src/errors.js';
import { checkOutputDirectory, OutputSet, temporaryBeside } from '../../src/util/output-set.js';
import { temporaryDirectory, thrown } from '../helpers.js';

describe('outputs written as a set', () => {
  test('every file is written, directories made, and no temporary stays', () => {
    const directory = temporaryDirectory();
    new OutputSet().add(join(directory, 'a.csv'), 'a\n').add(join(directory, 'deep', 'er', 'b.bin'), new Uint8Array([1, 2])).commit();
    assert.equal(readFileSync(join(directory, 'a.csv'), 'utf8'), 'a\n');
    assert.deepEqual([...readFileSync(join(directory, 'deep', 'er', 'b.bin'))], [1, 2]);
    assert.deepEqual(readdirSync(directory).sort(), ['a.csv', 'deep']);
  });

  const refusals: Array<[string, (directory: string) => string, RegExp]> = [
    ['a target that is a directory', (directory) => mkdirSync(join(directory, 'taken'), { recursive: true }) ?? join(directory, 'taken'), /it is a directory, not a file/],
    ['a parent that is a file', (directory) => (writeFileSync(join(directory, 'file'), 'x'), join(directory, 'file', 'out.json')), /file is a file, not a directory/],
  ];
  for (const [name, target, reason] of refusals) {
    test(`${name}: one OutputError naming the path, and nothing of the set left`, () => {
      const directory = temporaryDirectory();
      const bad = target(directory);
      const before = readdirSync(directory).sort();
      const set = new OutputSet().add(join(directory, 'new', 'first.csv'), 'first').add(bad, 'second').add(join(directory, 'third.csv'), 'third');
      const error = thrown(OutputError, () => set.commit());
      assert.equal(error.file, bad);
      assert.match(error.message, reason);
      assert.deepEqual(readdirSync(directory).sort(), before, 'no file, directory or temporary of the set');
    });
  }

  test('a file adopted from a temporary is renamed with the others, or removed with them', () => {
    const directory = temporaryDirectory();
    const target = join(directory, 'trace.json');
    const temporary = temporaryBeside(target);
    writeFileSync(temporary, '{}');
    new OutputSet().adopt(target, temporary).add(join(directory, 'x.csv'), 'x').commit();
    assert.equal(readFileSync(target, 'utf8'), '{}');
    assert.equal(existsSync(temporary), false);
    const failed = temporaryBeside(join(directory, 'second.json'));
    writeFileSync(failed, '{}');
    mkdirSync(join(directory, 'dir'));
    thrown(OutputError, () => new OutputSet().adopt(join(directory, 'second.json'), failed).add(join(directory, 'dir'), 'x').commit());
    assert.deepEqual(readdirSync(directory).sort(), ['dir', 'trace.json', 'x.csv']);
  });

  test('files that exist are replaced whole', () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'a.csv'), 'old');
    new OutputSet().add(join(directory, 'a.csv'), 'new').commit();
    assert.equal(readFileSync(join(directory, 'a.csv'), 'utf8'), 'new');
    assert.deepEqual(readdirSync(directory), ['a.csv']);
  });

  test('an output directory that is a file is refused before any work', () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'out'), 'x');
    assert.match(thrown(OutputError, () => checkOutputDirectory(join(directory, 'out'))).message, /out: cannot write output: it is a file, not a directory\./);
    checkOutputDirectory(join(directory, 'fresh', 'out'));
  });
});
