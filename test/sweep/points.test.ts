import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { eachPoint, loadSweepSpec, MAX_SWEEP_POINTS, parseSweepSpec, pointCount, shardPoints, sweepPoints, type SweepSpec } from '../../src/sweep/index.js';
import { temporaryDirectory, thrown } from '../helpers.js';

const spec = (raw: Record<string, unknown>): SweepSpec => parseSweepSpec({ name: 'test', ...raw });
const issuesOf = (raw: Record<string, unknown>) => thrown(UserError, () => spec(raw)).message;

describe('sweep spec', () => {
  test('errors name the key and say what was expected', () => {
    assert.match(issuesOf({ objectives: ['decodeTokensPerSecond', 'tokensPerWatt'] }), /objectives\[1\]: expected one of .*"decodeTokensPerSecond"/);
    assert.match(issuesOf({ axes: { set: { 'hbm.bandwidthGiBps': { min: 400, max: 800 } } } }), /axes\.set\.hbm\.bandwidthGiBps\.steps: grid sampling needs steps/);
    assert.match(issuesOf({ axes: { set: { 'hbm.bandwidthGiBps': { min: 800, max: 400, steps: 3 } } } }), /axes\.set\.hbm\.bandwidthGiBps\.max: max must be greater than min/);
    assert.match(issuesOf({ axes: { serving: { policy: ['vllm', 'fifo'] } } }), /axes\.serving\.policy\[1\]: expected one of "vllm", "static", "sequential"/);
    assert.match(issuesOf({ axes: { serving: { numPrompts: [0] } } }), /axes\.serving\.numPrompts\[0\]: expected a value > 0/);
    assert.match(issuesOf({ objectives: ['p99TtftMs'] }), /serving: required by the serving objectives \(p99TtftMs\)/);
    assert.match(issuesOf({ sampling: { method: 'sobol', points: 3 } }), /sampling\.method: unknown method "sobol", expected one of grid, random, latin-hypercube/);
    assert.match(issuesOf({ axes: { cases: ['1x128'] } }), /axes\.cases\[0\]: expected batch x prompt x generated/);
    assert.match(issuesOf({ precision: 'W3A3' }), /precision: unknown precision "W3A3"/);
    assert.match(issuesOf({ axes: { boardz: ['u280'] } }), /axes: unknown key "boardz"/);
    assert.match(issuesOf({ axes: { set: { status: [1, 2] } } }), /axes\.set\.status: names a column of results\.csv already/);
  });

  test('a sweep of more than MAX_SWEEP_POINTS points is refused at once, from the lengths of its axes', () => {
    const started = performance.now();
    // 10^9 points: nine axes of ten values.
    const set = Object.fromEntries(Array.from({ length: 9 }, (_, at) => [`k${at}`, { min: 1, max: 10, steps: 10 }]));
    assert.match(issuesOf({ axes: { set } }), /axes: the grid has 1,000,000,000 points \(k0 10 × k1 10 × .* × k8 10\): at most 100,000 are taken \(MAX_SWEEP_POINTS\)/);
    assert.match(issuesOf({ sampling: { method: 'random', points: 1e9 }, axes: { set: { k: { min: 1, max: 2 } } } }), /sampling\.points: expected a value <= 100000/);
    assert.match(issuesOf({ axes: { set: { k: { min: 1, max: 2, steps: 1e9 } } } }), /axes\.set\.k\.steps: expected a value <= 100000/);
    assert.ok(performance.now() - started < 2000);
    // At the limit the grid is taken, and counted without making its points.
    const atLimit = spec({ axes: { set: { a: { min: 1, max: 1000, steps: 1000 }, b: { min: 1, max: 100, steps: 100 } } } });
    assert.equal(pointCount(atLimit), MAX_SWEEP_POINTS);
  });

  test('points are made one at a time, the same as the whole list', () => {
    const sampled = spec({ sampling: { method: 'random', points: 7, seed: 2 }, axes: { set: { a: { min: 0, max: 1 } } } });
    const iterator = eachPoint(sampled);
    assert.deepEqual(iterator.next().value, sweepPoints(sampled)[0]);
    assert.equal(pointCount(sampled), sweepPoints(sampled).length);
  });

  test('a set key through what every object inherits is refused', () => {
    assert.match(issuesOf({ set: { '__proto__.x': 1 } }), /set\.__proto__\.x: names what every object inherits/);
    assert.match(issuesOf({ axes: { set: { 'hbm.constructor': [1, 2] } } }), /names what every object inherits/);
  });

  test('a spec file is read with its key errors and the file named', () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'bad.yaml');
    writeFileSync(path, 'name: bad\nsampling: { method: random }\n');
    assert.match(thrown(UserError, () => loadSweepSpec(path)).message, new RegExp(`${path}: invalid sweep spec: sampling\\.points: expected a number`));
    writeFileSync(path, 'name: good\naxes: { boards: [vhk158, u280] }\n');
    assert.equal(loadSweepSpec(path).directory, directory);
  });
});

describe('sweep points', () => {
  const axes = { boards: ['vhk158', 'u280'], set: { 'hbm.bandwidthGiBps': [400, 600, 800], 'clock.frequencyMHz': { min: 150, max: 300, steps: 4 } } };

  test('a grid holds every combination once, the first axis varying slowest', () => {
    const points = sweepPoints(spec({ axes }));
    assert.equal(points.length, 2 * 3 * 4);
    assert.equal(new Set(points.map((p) => JSON.stringify(p.columns))).size, points.length);
    assert.deepEqual(
      points.slice(0, 5).map((p) => [p.columns['board'], p.columns['hbm.bandwidthGiBps'], p.columns['clock.frequencyMHz']]),
      [
        ['vhk158', 400, 150],
        ['vhk158', 400, 200],
        ['vhk158', 400, 250],
        ['vhk158', 400, 300],
        ['vhk158', 600, 150],
      ],
    );
    assert.deepEqual(points[23]!.inputs.set, { 'hbm.bandwidthGiBps': 800, 'clock.frequencyMHz': 300 });
    assert.equal(points[23]!.inputs.board, 'u280');
  });

  test('fixed values reach every point; an axis value wins over the fixed one', () => {
    const points = sweepPoints(spec({ model: 'qwen2.5-7b', case: '1x64x32', set: { 'hbm.bandwidthGiBps': 1, 'calibration.timeDivisor': 2.4 }, axes }));
    for (const point of points) {
      assert.equal(point.inputs.model, 'qwen2.5-7b');
      assert.equal(point.inputs.case, '1x64x32');
      assert.equal(point.inputs.set['calibration.timeDivisor'], 2.4);
      assert.equal(point.inputs.set['hbm.bandwidthGiBps'], point.columns['hbm.bandwidthGiBps']);
    }
  });

  test('a log range is geometric, ends included; an integer range rounds', () => {
    const columns = (values: unknown) => sweepPoints(spec({ axes: { set: { k: values } } })).map((p) => p.columns['k']);
    assert.deepEqual(columns({ min: 100, max: 10000, steps: 3, log: true }), [100, 1000, 10000]);
    assert.deepEqual(columns({ min: 1, max: 2, steps: 4, integer: true }), [1, 2]);
    assert.deepEqual(columns({ min: 0, max: 0.3, steps: 4 }), [0, 0.1, 0.2, 0.3]);
  });

  test('random sampling draws the same points for the same seed, others for another', () => {
    const sampled = (seed: number) => sweepPoints(spec({ sampling: { method: 'random', points: 20, seed }, axes: { set: { a: { min: 0, max: 1 }, b: [1, 2, 3] } } })).map((p) => p.columns);
    assert.deepEqual(sampled(7), sampled(7));
    assert.notDeepEqual(sampled(7), sampled(8));
    for (const columns of sampled(7)) {
      assert.ok((columns['a'] as number) >= 0 && (columns['a'] as number) <= 1);
      assert.ok([1, 2, 3].includes(columns['b'] as number));
    }
  });

  test('a latin hypercube puts one point in each of N equal strata of every continuous axis', () => {
    const n = 37;
    const points = sweepPoints(spec({ sampling: { method: 'latin-hypercube', points: n, seed: 3 }, axes: { set: { a: { min: 10, max: 20 }, b: { min: -1, max: 1 } } } }));
    assert.equal(points.length, n);
    for (const [key, min, max] of [['a', 10, 20], ['b', -1, 1]] as const) {
      const strata = points.map((p) => Math.floor((((p.columns[key] as number) - min) / (max - min)) * n)).sort((x, y) => x - y);
      assert.deepEqual(strata, Array.from({ length: n }, (_, i) => i), key);
    }
  });

  test('a latin hypercube over a list of k values takes each value about N / k times', () => {
    const points = sweepPoints(spec({ sampling: { method: 'latin-hypercube', points: 30, seed: 1 }, axes: { set: { b: ['x', 'y', 'z'] } } }));
    const counts = ['x', 'y', 'z'].map((value) => points.filter((p) => p.columns['b'] === value).length);
    assert.deepEqual(counts, [10, 10, 10]);
  });

  test('shards partition the points: disjoint, every point in one, each shard a spread of the axes', () => {
    const points = sweepPoints(spec({ axes }));
    for (const count of [1, 2, 3, 5, 24, 30]) {
      const shards = Array.from({ length: count }, (_, index) => shardPoints(points, { index, count }));
      const indexes = shards.flatMap((shard) => shard.map((p) => p.index)).sort((a, b) => a - b);
      assert.deepEqual(indexes, points.map((p) => p.index), `${count} shards`);
      assert.ok(Math.max(...shards.map((s) => s.length)) - Math.min(...shards.map((s) => s.length)) <= 1);
    }
    assert.deepEqual(new Set(shardPoints(points, { index: 0, count: 2 }).map((p) => p.columns['board'])), new Set(['vhk158', 'u280']));
  });
});
