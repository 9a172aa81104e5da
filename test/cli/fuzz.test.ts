import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { dump, load } from 'js-yaml';
import { UserError } from '../../src/errors.js';
import { eachPoint, parseSweepSpec, pointCount, runPointJob, sweep, MAX_SWEEP_POINTS, type PointExecutor } from '../../src/sweep/index.js';
import { runMain, temporaryDirectory, testCache, tinyDecodeIr, tinyModelFile, VHK158, type CliResult } from '../helpers.js';

/*
 * Generated inputs, the kind a careless user or an adversary gives: command
 * lines, trace files, sweep specs and hardware overrides, valid and not.
 * Every one must end in a result (exit 0) or in one clear error (exit 2,
 * one paragraph on stderr, no stack trace): never exit 1, an internal
 * error, a hang or a crash. Seeded, so every run draws the same inputs, and
 * small enough that the four properties take some 10 s together.
 */

const SEED = 19;
const work = temporaryDirectory();
const tiny = tinyModelFile(work);
const ir = join(work, 'tiny-decode.yaml');
writeFileSync(ir, dump(tinyDecodeIr()));
/** Longest a single generated input may take: what a hang would exceed. */
const MAX_RUN_MS = 15_000;

/** Values that broke parsers before: empty, signs, exponents, infinities, lists, text. */
const TRICKY = ['0', '-1', '1.5', '1e-15', '1e12', '1e9', 'inf', '-inf', 'NaN', '', ' ', ',', '1,2', '0x10', 'abc', '2048', '4097', '__proto__', '="x"'];
const value = fc.oneof(fc.constantFrom(...TRICKY), fc.integer({ min: -3, max: 300 }).map(String), fc.double({ noNaN: false }).map(String), fc.string({ maxLength: 6 }));

/** The result is a result or one clear error; returns it for further checks. */
function assertClean(result: CliResult, elapsedMs: number, what: string): void {
  const context = `${what}\nexit ${result.code}\n${result.stderr.slice(-800)}`;
  assert.ok(result.code === 0 || result.code === 2, context);
  assert.doesNotMatch(result.stderr, /internal error|\n\s+at .*:\d+:\d+/, context);
  if (result.code === 2) assert.match(result.stderr, /(^|\n)fpga-llm-sim: error: /, context);
  else assert.notEqual(result.stdout, '', context);
  assert.ok(elapsedMs < MAX_RUN_MS, `${what}: ${elapsedMs.toFixed(0)} ms`);
}

async function cleanRun(args: readonly string[]): Promise<'result' | 'error'> {
  const started = performance.now();
  const result = await runMain(args);
  assertClean(result, performance.now() - started, args.join(' '));
  return result.code === 0 ? 'result' : 'error';
}

/** Runs a property over its inputs and says, in the test's diagnostics, how many there were and how they ended. */
async function fuzz<T>(t: TestContext, arbitrary: fc.Arbitrary<T>, check: (input: T) => Promise<'result' | 'error'>, numRuns: number): Promise<void> {
  const ended = { result: 0, error: 0 };
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      ended[await check(input)]++;
    }),
    { seed: SEED, numRuns },
  );
  t.diagnostic(`${numRuns} inputs (seed ${SEED}): ${ended.result} results, ${ended.error} clear errors, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const int = (min: number, max: number) => fc.integer({ min, max }).map(String);
const real = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map((x) => String(Number(x.toPrecision(4))));

/** Plausible values of each flag: most runs should produce results, the tricky values the rest. */
const PLAUSIBLE: Readonly<Record<string, fc.Arbitrary<string>>> = {
  '--num-prompts': int(1, 8),
  '--request-rate': fc.oneof(fc.constant('inf'), real(0.5, 100)),
  '--burstiness': real(0.1, 4),
  '--max-concurrency': int(1, 8),
  '--random-input-len': int(1, 256),
  '--random-output-len': int(1, 16),
  '--random-range-ratio': real(0, 0.9),
  '--random-prefix-len': int(0, 64),
  '--max-num-seqs': int(1, 64),
  '--max-num-batched-tokens': int(16, 4096),
  '--block-size': fc.constantFrom('8', '16', '32'),
  '--num-gpu-blocks-override': int(16, 4096),
  '--metric-percentiles': fc.constantFrom('50,99', '90', '25,50,75'),
  '--goodput': fc.constantFrom('ttft:100', 'tpot:5', 'e2el:1000'),
  '--policy': fc.constantFrom('vllm', 'static', 'sequential'),
  '--seed': int(0, 100),
  '--dataset-name': fc.constantFrom('random', 'multiturn'),
  '--multiturn-turns': int(1, 4),
  '--seq': fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 512 }), fc.integer({ min: 1, max: 8 })).map(([n, c, k]) => `${n}@${c}x${k}`),
  '--precision': fc.constantFrom('FP16', 'W4A16', 'W8A8', 'flightllm'),
  '--kv-cache': fc.constantFrom('int8', 'fp16'),
  '--cases': fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 8 })).map(([b, p, g]) => `${b}x${p}x${g}`),
  '--jobs': int(1, 2),
};

/** Each command with a small valid base, and the flags a run may add (the last of a repeated flag wins). */
const COMMANDS = {
  serve: {
    base: ['serve', '--model', tiny, '--num-prompts', '3', '--random-input-len', '32', '--random-output-len', '3'],
    flags: [
      '--num-prompts', '--request-rate', '--burstiness', '--max-concurrency', '--random-input-len', '--random-output-len', '--random-range-ratio', '--random-prefix-len',
      '--max-num-seqs', '--max-num-batched-tokens', '--block-size', '--num-gpu-blocks-override', '--metric-percentiles', '--goodput', '--policy', '--seed', '--dataset-name', '--multiturn-turns',
    ],
  },
  step: { base: ['step', '--model', tiny, '--fast'], flags: ['--seq', '--precision', '--kv-cache'] },
  profile: { base: ['profile', '--model', tiny, '--out-dir', join(work, 'profile'), '--no-bound', '--json', '--cases', '1x16x4'], flags: ['--cases', '--precision', '--jobs'] },
  bench: { base: ['bench', '--model', tiny, '--num-prompts', '2', '--random-input-len', '16', '--random-output-len', '2', '--max-concurrency', '1'], flags: ['--max-concurrency', '--request-rate', '--num-prompts'] },
} as const;

/** A flag and its value: plausible three times in four, tricky (or meant for another flag) otherwise. */
const flagOf = (flags: readonly string[]) =>
  fc.constantFrom(...flags).chain((flag) => fc.tuple(fc.constant(flag), fc.oneof({ weight: 3, arbitrary: PLAUSIBLE[flag] ?? value }, { weight: 1, arbitrary: value }, { weight: 1, arbitrary: fc.constantFrom(...Object.values(PLAUSIBLE)).chain((other) => other) })));

const commandLine = fc.constantFrom(...(Object.keys(COMMANDS) as Array<keyof typeof COMMANDS>)).chain((name) => fc.array(flagOf(COMMANDS[name].flags), { minLength: 1, maxLength: 3 }).map((flags) => [...COMMANDS[name].base, ...flags.flat()]));

/** A trace file's field: a good count or time, or what a careless export writes instead. */
const traceValue = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) }, fc.constantFrom(0, -1, 1.5, 1e20, 1e30, Number.MAX_SAFE_INTEGER, '64', '', null, true, 'x'));
const traceRow = fc.record({ input_toks: traceValue, output_toks: traceValue, arrival_time_ns: fc.oneof(fc.integer({ min: 0, max: 1e12 }), traceValue) }, { requiredKeys: [] });
const goodRow = fc.record({ input_toks: fc.integer({ min: 1, max: 64 }), output_toks: fc.integer({ min: 1, max: 8 }), arrival_time_ns: fc.integer({ min: 0, max: 5e9 }) });
const byArrival = (a: Record<string, unknown>, b: Record<string, unknown>) => (typeof a['arrival_time_ns'] === 'number' && typeof b['arrival_time_ns'] === 'number' ? a['arrival_time_ns'] - b['arrival_time_ns'] : 0);
/** A trace: rows mostly good, in arrival order unless `shuffled`, sometimes cut by --num-prompts. */
const traceFile = fc
  .record({
    format: fc.constantFrom('jsonl', 'csv'),
    rows: fc.array(fc.oneof({ weight: 4, arbitrary: goodRow }, traceRow), { maxLength: 5 }),
    shuffled: fc.boolean(),
    numPrompts: fc.option(fc.constantFrom('1', '2', '0', '1e9'), { nil: undefined }),
  })
  .map((trace) => ({ ...trace, rows: trace.shuffled ? trace.rows : [...trace.rows].sort(byArrival) }));

function writeTrace(trace: { format: 'jsonl' | 'csv'; rows: ReadonlyArray<Record<string, unknown>> }, index: number): string {
  const path = join(work, `trace-${index}.${trace.format}`);
  if (trace.format === 'jsonl') writeFileSync(path, trace.rows.map((row) => JSON.stringify(row)).join('\n'));
  else {
    const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'number' ? String(v / (v > 1e6 ? 1e9 : 1)) : String(v));
    writeFileSync(path, ['arrived_at,num_prefill_tokens,num_decode_tokens', ...trace.rows.map((r) => [cell(r['arrival_time_ns']), cell(r['input_toks']), cell(r['output_toks'])].join(','))].join('\n'));
  }
  return path;
}

/** Hardware keys: the board's own (every leaf of vhk158.yaml, with its value), and some it does not have. */
const boardLeaves = (() => {
  const leaves = new Map<string, unknown>();
  const walk = (node: unknown, path: string) => {
    if (typeof node === 'object' && node !== null && !Array.isArray(node)) for (const [key, child] of Object.entries(node)) walk(child, path === '' ? key : `${path}.${key}`);
    else leaves.set(path, node);
  };
  walk(load(readFileSync(VHK158, 'utf8')), '');
  return leaves;
})();
const boardKeys = [...boardLeaves.keys()];
/** A key of the board with a value near its own (halved, kept or doubled, whole where it was whole). */
const plausibleOverride = fc.tuple(fc.constantFrom(...boardKeys.filter((key) => typeof boardLeaves.get(key) === 'number')), fc.constantFrom(0.5, 1, 2)).map(([key, factor]) => {
  const own = boardLeaves.get(key) as number;
  return [key, String(Number.isInteger(own) ? Math.max(1, Math.round(own * factor)) : own * factor)] as [string, string];
});
const hardwareKey = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...boardKeys) }, fc.constantFrom('__proto__.x', 'hbm.__proto__.x', 'constructor.prototype.x', 'hbm.nonsense', 'hbm.channels.deep', 'kind', 'x'));
const EXPRESSIONS = ['= hbm.channels * 2', '= (kernelLaunchUs = 1) + 2', '= size(zeros(100000, 100000))', '= 1 / 0', '= sqrt(-1)', '= [1, 2]', '= hbm.bandwidthGiBps', '= max(1, clock.frequencyMHz) ^ 2', '= import("fs")', `= ${'('.repeat(40)}1${')'.repeat(40)}`, '= a ? b : c', '= 1e308 * 10', '= "text"', '=', '= hbm.totalSizeGiB'];
const hardwareValue = fc.oneof(fc.constantFrom(...EXPRESSIONS), fc.constantFrom('0', '-4', '1e12', '1e-300', '.nan', '.inf', 'abc', '[1, 2]', '{a: 1}', 'null', 'true', '~'), fc.integer({ min: -2, max: 4096 }).map(String), fc.double({ min: 0.01, max: 1e4, noNaN: true }).map(String));

/** An axis's values: a short list (some of them wrong), or a range (steps absent, too few, or 10^9). */
const axisValues = fc.oneof(
  fc.array(fc.oneof(fc.integer({ min: -4, max: 1024 }), fc.constantFrom('= 2 * 100', 'x', true)), { minLength: 0, maxLength: 3 }),
  fc.record({ min: fc.integer({ min: -10, max: 500 }), max: fc.integer({ min: -10, max: 1000 }), steps: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom(1e9, 0)) }, { requiredKeys: ['min', 'max'] }),
);

/** Sweep specs: a small valid spec, then none, one or two of its fields replaced by what a careless hand writes. */
const goodSpec = fc.record({
  name: fc.constantFrom('fuzz', 'ok.name', 'a-b_1'),
  board: fc.constantFrom('vhk158', 'a100-80gb-sxm'),
  model: fc.constant(tiny),
  case: fc.constantFrom('1x16x4', '1x8x2', '2x16x2'),
  set: fc.oneof(fc.constant({}), plausibleOverride.map(([key, text]) => ({ [key]: Number(text) }))),
  axes: fc.record({ set: fc.oneof(fc.constant({}), fc.constant({ 'hbm.bandwidthGiBps': [409.6, 819.2] }), fc.constant({ 'clock.frequencyMHz': { min: 150, max: 300, steps: 2 } })), cases: fc.constantFrom(['1x16x4'], ['1x8x2', '1x16x2']) }, { requiredKeys: [] }),
  sampling: fc.oneof(fc.constant({ method: 'grid' }), fc.record({ method: fc.constantFrom('random', 'latin-hypercube'), points: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 0, max: 9 }) })),
  objectives: fc.constantFrom(['decodeTokensPerSecond', 'prefillMs'], ['percentOfBound'], ['tokensPerJoule', 'totalMs']),
});
const badField = fc.oneof(
  fc.record({ name: fc.constantFrom('..', '', 'a/b', 42) }),
  fc.record({ board: fc.constantFrom('u290', '', 'vhk158.yaml/..') }),
  fc.record({ model: fc.constantFrom('llama9-7b', 7) }),
  fc.record({ case: fc.constantFrom('1x4096x1', '0x1x1', '1x1', '100000x1x1', 16) }),
  fc.record({ set: fc.dictionary(hardwareKey, fc.oneof(fc.integer({ min: -4, max: 1024 }), fc.constantFrom('= hbm.channels * 2', '= (x = 1) + 2', '= size(zeros(9, 9))', [1])), { minKeys: 1, maxKeys: 2 }) }),
  fc.record({ axes: fc.record({ set: fc.dictionary(fc.constantFrom('hbm.bandwidthGiBps', 'clock.frequencyMHz', 'buffers.bias.depthWords', 'status', '__proto__.x', 'mpe.matrixMatrix.parallelism.n'), axisValues, { minKeys: 1, maxKeys: 2 }) }) }),
  fc.record({ sampling: fc.record({ method: fc.constantFrom('random', 'latin-hypercube', 'sobol'), points: fc.constantFrom(1e9, 0, -1, 2.5), seed: fc.constantFrom(0, -1) }) }),
  fc.record({ objectives: fc.constantFrom(['tokensPerWatt'], [], ['p99TtftMs'], 'prefillMs') }),
  fc.record({ serving: fc.constantFrom({ numPrompts: 1e9 }, { numPrompts: 2, randomInputLen: 16, randomOutputLen: 2 }, { numGpuBlocksOverride: 1e12 }, { policy: 'fifo' }), objectives: fc.constant(['p99TtftMs']) }),
);
const sweepSpec = fc.tuple(goodSpec, fc.array(badField, { maxLength: 2 })).map(([spec, bad]) => Object.assign({}, spec, ...bad) as Record<string, unknown>);

/** Points run in this thread, one after another: what a worker would run, without its start-up. */
const inThread: PointExecutor = {
  run: async (jobs, onOutcome) => {
    for (const job of jobs) onOutcome(await runPointJob(job));
  },
};

/** A spec is refused with a UserError, or every point ends ok, failed (refused with its reason) but never in an error of ours. */
async function checkSpec(raw: unknown): Promise<'result' | 'error'> {
  let spec;
  try {
    spec = parseSweepSpec(raw, 'fuzz.yaml');
  } catch (error) {
    assert.ok(error instanceof UserError, String(error));
    return 'error';
  }
  const count = pointCount(spec);
  assert.ok(count <= MAX_SWEEP_POINTS, `${count} points passed validation`);
  if (count > 4) {
    // Large but valid: the points are made lazily; take the first few.
    const first = eachPoint(spec).next();
    assert.equal(first.done, false);
    return 'result';
  }
  const result = await sweep({ ...spec, directory: work }, { executor: inThread, cache: testCache() });
  for (const row of result.rows) assert.notEqual(row.status, 'error', `${JSON.stringify(raw)}: ${row.error}`);
  return 'result';
}

describe('generated inputs end in a result or one clear error', () => {
  test('command lines of serve, step, profile and bench', { timeout: 120_000 }, (t) => fuzz(t, commandLine, cleanRun, 60));

  test('trace files (JSONL and Vidur CSV)', { timeout: 60_000 }, (t) => {
    let index = 0;
    return fuzz(t, traceFile, (trace) => cleanRun(['serve', '--model', tiny, '--dataset-name', 'trace', '--dataset-path', writeTrace(trace, index++), ...(trace.numPrompts === undefined ? [] : ['--num-prompts', trace.numPrompts])]), 40);
  });

  test('hardware overrides, expressions included', { timeout: 60_000 }, (t) => {
    const overrides = fc.array(fc.oneof({ weight: 2, arbitrary: plausibleOverride }, fc.tuple(hardwareKey, hardwareValue)), { minLength: 1, maxLength: 3 });
    return fuzz(
      t,
      overrides,
      async (pairs) => {
        const ended = await cleanRun(['simulate', '--hardware', VHK158, '--ir', ir, ...pairs.flatMap(([key, text]) => ['--set', `${key}=${text}`])]);
        assert.equal(({} as Record<string, unknown>)['x'], undefined, 'no prototype was polluted');
        return ended;
      },
      60,
    );
  });

  test('sweep specs', { timeout: 60_000 }, (t) => fuzz(t, sweepSpec, checkSpec, 30));
});
