import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dump, load as parseYamlText } from 'js-yaml';
import { ConfigError } from '../../src/errors.js';
import { MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH, resolveExpressions } from '../../src/hardware/index.js';
import { loadHardware, parseHardware, shippedHardwareNames } from '../../src/backends/index.js';
import { ContentCache } from '../../src/util/cache.js';
import { contentHash } from '../../src/util/hash.js';
import { flightllm, NO_REFERENCE, REFERENCE_DIR, ROOT, temporaryDirectory, thrown, VHK158 } from '../helpers.js';

/** The shipped VHK158 file as a plain object, to mutate in tests. */
function vhk158Tree(): Record<string, any> {
  return parseYamlText(readFileSync(VHK158, 'utf8')) as Record<string, any>;
}


describe('loading hardware', () => {
  test('the shipped VHK158 file evaluates its expressions into plain numbers', () => {
    const hw = flightllm(loadHardware(VHK158));
    assert.equal(hw.buffers.a.channelWidthBytes.matrixMatrix, 16 * 16);
    assert.equal(hw.buffers.b.widthBytes.matrixMatrix, 2 * 16);
    assert.equal(hw.buffers.meta.widthBytes, 16);
    assert.equal(hw.hbm.totalSizeGiB, (32 * 256) / 1024);
    assert.ok(Object.isFrozen(hw.buffers.a));
  });

  test('FlightLLM config.yaml describes the same machine as hardware/vhk158.yaml; ours adds rates for other precisions, the device, the resource model, energy and a price', { skip: NO_REFERENCE }, () => {
    const ours = flightllm(loadHardware(VHK158));
    const theirs = flightllm(loadHardware(join(REFERENCE_DIR, 'config.yaml')));
    const { energy, price, device, resources, ...machine } = ours;
    assert.ok(device !== undefined && resources !== undefined && theirs.device === undefined && theirs.resources === undefined);
    assert.deepEqual({ ...theirs, name: '', description: '', precision: undefined }, { ...machine, name: '', description: '', precision: undefined });
    assert.equal(theirs.energy, undefined);
    assert.ok(energy !== undefined && price !== undefined);
    assert.deepEqual(theirs.precision, { matrixRate: { int8: { int8: 1 } }, vectorRate: { int8: 1 } });
    assert.equal(ours.precision.matrixRate.int8?.int8, 1);
    assert.equal(ours.precision.vectorRate.int8, 1);
  });

  test('a FlightLLM config without one of its keys is refused, naming the key', () => {
    const error = thrown(ConfigError, () => parseHardware({ CLOCK_FREQ_MHZ: 225 }, { file: 'config.yaml' }));
    assert.match(error.message, /^config\.yaml: invalid FlightLLM configuration: MAX_LEN: expected a number, got nothing/);
  });

  test('a field that an expression needs is reported where the expression is', () => {
    const tree = vhk158Tree();
    delete tree['hbm'].channels;
    const error = thrown(ConfigError, () => parseHardware(tree, { file: 'x.yaml' }));
    assert.deepEqual(error.issues, [{ path: 'hbm.totalSizeGiB', message: 'expression refers to unknown key hbm.channels' }]);
  });

  test('a missing field is named with its path', () => {
    const tree = vhk158Tree();
    delete tree['hbm'].efficiency.sameChannel;
    const error = thrown(ConfigError, () => parseHardware(tree, { file: 'x.yaml' }));
    assert.deepEqual(error.issues, [{ path: 'hbm.efficiency.sameChannel', message: 'expected a number, got nothing (the field is missing)' }]);
    assert.match(error.message, /^x\.yaml: invalid hardware configuration: hbm\.efficiency\.sameChannel: expected a number/);
  });

  test('a negative value is refused with the value found', () => {
    const tree = vhk158Tree();
    tree['buffers'].fsb.depthWords = -4;
    const error = thrown(ConfigError, () => parseHardware(tree, { file: 'x.yaml' }));
    assert.deepEqual(error.issues, [{ path: 'buffers.fsb.depthWords', message: 'expected a value > 0, got -4' }]);
  });

  test('a non-numeric value is refused with the value found', () => {
    const tree = vhk158Tree();
    tree['clock'].frequencyMHz = 'fast';
    const error = thrown(ConfigError, () => parseHardware(tree, { file: 'x.yaml' }));
    assert.deepEqual(error.issues, [{ path: 'clock.frequencyMHz', message: 'expected a number, got "fast"' }]);
  });

  test('an unknown key is refused, so typos do not pass silently', () => {
    const tree = vhk158Tree();
    tree['hbm'].bandwithGiBps = 1;
    const error = thrown(ConfigError, () => parseHardware(tree));
    assert.deepEqual(error.issues, [{ path: 'hbm', message: 'unknown key "bandwithGiBps", got a mapping' }]);
  });

  test('values that contradict each other are reported by the consistency rules', () => {
    const tree = vhk158Tree();
    tree['buffers'].meta.widthBytes = 8;
    tree['hbm'].totalSizeGiB = 16;
    const error = thrown(ConfigError, () => parseHardware(tree));
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      ['buffers.meta.widthBytes', 'hbm.totalSizeGiB'],
    );
    assert.match(error.message, /hbm\.totalSizeGiB: must equal hbm\.channels × hbm\.channelSizeMiB \/ 1024 \(8\), got 16/);
  });

  test('malformed YAML is reported with its line', () => {
    const file = join(temporaryDirectory(), 'bad.yaml');
    writeFileSync(file, 'clock:\n  frequencyMHz: [225\nhbm: 1\n');
    const error = thrown(ConfigError, () => loadHardware(file));
    assert.match(error.message, /bad\.yaml: malformed YAML in hardware configuration: .* at line \d+, column \d+/);
  });

  test('a missing file is reported as such', () => {
    assert.match(thrown(ConfigError, () => loadHardware('/nonexistent/hw.yaml')).message, /^\/nonexistent\/hw\.yaml: cannot read hardware configuration: no such file\.$/);
  });

  test('a cached load returns the same description, and an edited file is not served from the cache', () => {
    const directory = temporaryDirectory();
    const cache = new ContentCache(join(directory, 'cache'));
    const file = join(directory, 'hw.yaml');
    writeFileSync(file, readFileSync(VHK158, 'utf8'));
    const first = loadHardware(file, { cache });
    assert.deepEqual(loadHardware(file, { cache }), first);
    const edited = vhk158Tree();
    edited['clock'].frequencyMHz = 300;
    writeFileSync(file, dump(edited));
    assert.equal(flightllm(loadHardware(file, { cache })).clock.frequencyMHz, 300);
  });
});

describe('the parse cache read back', () => {
  /** Loads the board once through a fresh cache, then overwrites its one entry. */
  function damagedEntry(text: (original: string) => string): { cache: ContentCache; rejections: string[]; file: string } {
    const directory = temporaryDirectory();
    const rejections: string[] = [];
    const cache = new ContentCache(join(directory, 'cache'), { onRejected: (rejection) => rejections.push(rejection.reason) });
    const file = join(directory, 'hw.yaml');
    writeFileSync(file, readFileSync(VHK158, 'utf8'));
    loadHardware(file, { cache });
    const [entry] = readdirSync(join(directory, 'cache', 'hardware'));
    const path = join(directory, 'cache', 'hardware', entry!);
    writeFileSync(path, text(readFileSync(path, 'utf8')));
    return { cache, rejections, file };
  }

  test('an entry of null is refused and the board loaded afresh, never a crash', () => {
    const { cache, rejections, file } = damagedEntry((original) => `${original.split('\n')[0]!.replace(/"sha256":"\w+"/, `"sha256":"${contentHash('null')}"`)}\nnull`);
    assert.deepEqual(loadHardware(file, { cache }), loadHardware(file));
    assert.equal(rejections.length, 1);
  });

  test('an entry whose values were edited is refused: the board holds the file’s values', () => {
    const { cache, rejections, file } = damagedEntry((original) => original.replace('"frequencyMHz":225', '"frequencyMHz":300'));
    assert.equal(flightllm(loadHardware(file, { cache })).clock.frequencyMHz, 225);
    assert.match(rejections[0] ?? '', /does not match its digest/);
  });

  test('an entry the schema refuses is refused, even with a true digest', () => {
    const { cache, rejections, file } = damagedEntry((original) => {
      const body = original.slice(original.indexOf('\n') + 1).replace('"frequencyMHz":225', '"frequencyMHz":-1');
      return `${original.split('\n')[0]!.replace(/"sha256":"\w+"/, `"sha256":"${contentHash(body)}"`)}\n${body}`;
    });
    assert.equal(flightllm(loadHardware(file, { cache })).clock.frequencyMHz, 225);
    assert.match(rejections[0] ?? '', /clock\.frequencyMHz/);
  });
});

describe('shipped boards by name', () => {
  test('each shipped name loads the same description as its file in hardware/', () => {
    for (const name of shippedHardwareNames()) assert.deepEqual(loadHardware(name), loadHardware(join(ROOT, 'hardware', `${name}.yaml`)), name);
  });

  test('the names are the YAML files in hardware/ that load as boards on their own', () => {
    const boards = readdirSync(join(ROOT, 'hardware'))
      .filter((file) => file.endsWith('.yaml'))
      .filter((file) => {
        try {
          return loadHardware(join(ROOT, 'hardware', file)) !== undefined;
        } catch (error) {
          assert.ok(error instanceof ConfigError, String(error));
          return false;
        }
      });
    assert.deepEqual(shippedHardwareNames(), boards.map((file) => file.replace(/\.yaml$/, '')).sort());
    assert.ok(shippedHardwareNames().includes('vhk158'));
  });

  test('a file of that name in the working directory wins over the shipped board', () => {
    const directory = temporaryDirectory();
    const tree = vhk158Tree();
    tree['clock'].frequencyMHz = 300;
    writeFileSync(join(directory, 'vhk158'), dump(tree));
    const cwd = process.cwd();
    process.chdir(directory);
    try {
      assert.equal(flightllm(loadHardware('vhk158')).clock.frequencyMHz, 300);
    } finally {
      process.chdir(cwd);
    }
  });

  test('a name that is neither a file nor shipped is refused, listing the shipped names', () => {
    const error = thrown(ConfigError, () => loadHardware('u290'));
    assert.equal(error.message, `no hardware configuration "u290": it is neither a file nor a shipped name; shipped: ${shippedHardwareNames().join(', ')}.`);
  });
});

describe('expressions', () => {
  test('expressions may use other expressions and mathjs functions', () => {
    const { value, issues } = resolveExpressions({ a: 3, b: '= a * 2', c: { d: '= ceil(b / 4) + a' } });
    assert.deepEqual(issues, []);
    assert.deepEqual(value, { a: 3, b: 6, c: { d: 5 } });
  });

  test("an expression gives what mathjs's default instance gives, functions and constants included", () => {
    const sources = ['a * 16 / 2 + max(1, 3)', 'ceil(log2(a * 100)) + sqrt(16) ^ 2', 'floor(pi * e * 1000) / 1000', 'mod(a * 7, 5) + abs(-a) + min(a, 2)'];
    const { value, issues } = resolveExpressions({ a: 3, ...Object.fromEntries(sources.map((source, index) => [`x${index}`, `= ${source}`])) });
    assert.deepEqual(issues, []);
    const mathjs = createRequire(import.meta.url)('mathjs') as { evaluate: (source: string, scope: object) => number };
    sources.forEach((source, index) => assert.equal((value as Record<string, number>)[`x${index}`], mathjs.evaluate(source, { a: 3 }), source));
  });

  test('the input tree is not modified', () => {
    const tree = { a: 1, b: '= a + 1' };
    resolveExpressions(tree);
    assert.deepEqual(tree, { a: 1, b: '= a + 1' });
  });

  test('a cycle is reported with the chain of keys', () => {
    const { issues } = resolveExpressions({ a: '= b + 1', b: '= a + 1' });
    assert.ok(issues.some((issue) => /refers to itself through a -> b -> a/.test(issue.message)));
  });

  test('a reference to a key that does not exist is reported', () => {
    const { issues } = resolveExpressions({ a: '= nothing.here * 2' });
    assert.deepEqual(issues, [{ path: 'a', message: 'expression refers to unknown key nothing.here' }]);
  });

  test('an expression that does not give a finite number is reported', () => {
    const { issues } = resolveExpressions({ a: 0, b: '= 1 / a', c: '= sqrt(a - 1)' });
    assert.deepEqual(
      issues.map((issue) => [issue.path, /must give a finite number, got (Infinity|NaN)/.test(issue.message)]),
      [
        ['b', true],
        ['c', true],
      ],
    );
  });

  test('an expression may not assign, define functions, build matrices or call what the whitelist lacks', () => {
    const refused: Array<[string, RegExp]> = [
      ['(kernelLaunchUs = 1000) + 2039', /uses an assignment/],
      ['f(x) = x', /uses a function definition/],
      ['size(zeros(100000, 100000))', /uses the function size/],
      ['[a, a]', /uses a matrix or list/],
      ['{ x: 1 }', /uses an object/],
      ['a; a', /uses several statements/],
      ['1:3', /uses a range/],
      ['import({ x: 1 })', /uses the function import/],
      ['evaluate("1")', /uses the function evaluate/],
      ['"text"', /uses the constant "text"/],
      ['5!', /uses the operator !/],
      ['max()', /uses max with 0 arguments/],
    ];
    const tree = { a: 3, kernelLaunchUs: 4, ...Object.fromEntries(refused.map(([source], index) => [`x${index}`, `= ${source}`])) };
    const { value, issues } = resolveExpressions(tree);
    refused.forEach(([source, message], index) => {
      const issue = issues.find((found) => found.path === `x${index}`);
      assert.match(issue?.message ?? '(none)', message, source);
    });
    // Nothing an expression says changes another key.
    assert.equal((value as { kernelLaunchUs: number }).kernelLaunchUs, 4);
  });

  test('an expression longer or deeper than the limits is refused before it is parsed', () => {
    const long = `= ${Array.from({ length: MAX_EXPRESSION_LENGTH }, () => '1').join('+')}`;
    const deep = `= ${'('.repeat(MAX_EXPRESSION_DEPTH + 1)}1${')'.repeat(MAX_EXPRESSION_DEPTH + 1)}`;
    const atLimit = `= ${'('.repeat(MAX_EXPRESSION_DEPTH)}1${')'.repeat(MAX_EXPRESSION_DEPTH)}`;
    const { value, issues } = resolveExpressions({ long, deep, atLimit });
    assert.match(issues.find((issue) => issue.path === 'long')?.message ?? '', /at most 500 are taken \(MAX_EXPRESSION_LENGTH\)/);
    assert.match(issues.find((issue) => issue.path === 'deep')?.message ?? '', /nests brackets 33 deep: at most 32/);
    assert.equal((value as { atLimit: number }).atLimit, 1);
  });

  test('an expression reads only keys the file has, never what every object inherits', () => {
    const { issues } = resolveExpressions({ a: '= constructor + 1', b: { c: '= b.toString' } });
    assert.deepEqual(
      issues.map((issue) => issue.message),
      ['expression refers to unknown key constructor', 'expression refers to unknown key b.toString'],
    );
  });

  test('an expression error in a hardware file becomes a ConfigError naming the field', () => {
    const tree = vhk158Tree();
    tree['buffers'].a.depthWords = '= buffers.a.depth * 2';
    const error = thrown(ConfigError, () => parseHardware(tree, { file: 'x.yaml' }));
    assert.deepEqual(error.issues, [{ path: 'buffers.a.depthWords', message: 'expression refers to unknown key buffers.a.depth' }]);
  });
});
