import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { load } from 'js-yaml';
import { kernelsMs, rooflineKernels, type RooflineHardware } from '../../src/backends/index.js';
import { calibrate, goodputOf, gpuProfileObservations, loadVllmResult, vllmObservations, type Observation } from '../../src/calibrate/index.js';
import { compileModel } from '../../src/compiler/index.js';
import { loadHardware } from '../../src/backends/index.js';
import { PrecisionSchema, type Model } from '../../src/model/index.js';
import { loadGpuProfile } from '../../src/profiler/index.js';
import { ROOT, runMain, shippedHardware, temporaryDirectory, tinyModel, tinyModelFile } from '../helpers.js';
import { compileTarget } from '../../src/backends/index.js';

/*
 * Calibration: a fit recovers efficiencies that generated the
 * measurements, the shipped calibrated A100 is what `calibrate` writes from
 * FlightLLM's vLLM figures, measurements load from GPU profiles and vLLM
 * result files of both generations, and bad input is refused.
 */

const work = temporaryDirectory();
const fp16 = (model: Model): Model => ({ ...model, mapping: { ...model.mapping, precision: PrecisionSchema.parse('FP16') } });
const tiny = fp16(tinyModel());
const board = (overrides?: Record<string, unknown>): RooflineHardware => shippedHardware('a100-80gb-sxm', overrides) as RooflineHardware;

/** What the board with `truth` would measure for each observation. */
function measured(truth: RooflineHardware, shapes: Observation[]): Observation[] {
  return shapes.map((o) => ({ ...o, measuredMs: o.terms.reduce((sum, t) => sum + t.weight * kernelsMs(rooflineKernels(compileModel(tiny, { batch: t.batch, target: compileTarget(truth) }).ir, truth).kernels, truth), 0) }));
}

describe('calibrate', () => {
  test('recovers the efficiencies and launch cost that produced the measurements', () => {
    const truth = board({ 'efficiency.linear.memory': 0.61, 'efficiency.linear.compute': 0.37, kernelLaunchUs: 7 });
    const rows = [128, 512, 1024].flatMap((prompt) => [
      { label: `prefill ${prompt}`, measuredMs: 0, terms: [{ weight: 1, batch: { sequences: [{ newTokens: prompt, context: 0 }] } }] },
      { label: `decode at ${prompt}`, measuredMs: 0, terms: [{ weight: 1, batch: { sequences: [{ newTokens: 1, context: prompt }] } }] },
    ]);
    const result = calibrate({ hardware: board(), model: tiny, observations: measured(truth, rows), keys: ['efficiency.linear.memory', 'efficiency.linear.compute', 'kernelLaunchUs'] });
    assert.ok(Math.abs(result.values['efficiency.linear.memory']! - 0.61) < 0.01, JSON.stringify(result.values));
    assert.ok(Math.abs(result.values['efficiency.linear.compute']! - 0.37) < 0.01, JSON.stringify(result.values));
    assert.ok(Math.abs(result.values['kernelLaunchUs']! - 7) < 0.1, JSON.stringify(result.values));
    assert.ok(result.rmsAfter < 1e-3 && result.rmsAfter < result.rmsBefore);
  });

  test('a step held to a power-limited floor takes the floor where its kernels would take less, and its kernels where they take more', () => {
    const rows = [128, 512].map((prompt) => ({ label: `prefill ${prompt}`, measuredMs: 0, terms: [{ weight: 3, batch: { sequences: [{ newTokens: prompt, context: 0 }] } }] }));
    const free = calibrate({ hardware: board(), model: tiny, observations: measured(board(), rows), keys: ['kernelLaunchUs'] });
    const kernelMs = free.observations.map((o) => o.beforeMs / 3);
    // A floor between the two steps' kernel times: the short step rises to it, the long one keeps its time.
    const floorMs = (kernelMs[0]! + kernelMs[1]!) / 2;
    const floored = rows.map((o) => ({ ...o, terms: o.terms.map((t) => ({ ...t, floorMs })) }));
    const held = calibrate({ hardware: board(), model: tiny, observations: measured(board(), floored), keys: ['kernelLaunchUs'] });
    assert.ok(kernelMs[0]! < floorMs && floorMs < kernelMs[1]!);
    assert.ok(Math.abs(held.observations[0]!.beforeMs - 3 * floorMs) < 1e-9 * floorMs);
    assert.ok(Math.abs(held.observations[1]!.beforeMs - 3 * kernelMs[1]!) < 1e-9 * kernelMs[1]!);
  });

  test("a step's fixed time (its links) comes on top of its kernels, and the fit recovers the efficiencies beneath it", () => {
    const truth = board({ 'efficiency.linear.memory': 0.55, kernelLaunchUs: 4 });
    const shapes = [128, 1024].flatMap((prompt) => [
      { label: `prefill ${prompt}`, measuredMs: 0, terms: [{ weight: 2, batch: { sequences: [{ newTokens: prompt, context: 0 }] } }] },
      { label: `decode at ${prompt}`, measuredMs: 0, terms: [{ weight: 5, batch: { sequences: [{ newTokens: 1, context: prompt }] } }] },
    ]);
    const fixedMs = 0.3;
    // Measured: the truth's kernels plus the fixed time of every step.
    const rows = measured(truth, shapes).map((o) => ({ ...o, measuredMs: o.measuredMs + o.terms.reduce((sum, t) => sum + t.weight * fixedMs, 0), terms: o.terms.map((t) => ({ ...t, fixedMs })) }));
    const result = calibrate({ hardware: board(), model: tiny, observations: rows, keys: ['efficiency.linear.memory', 'kernelLaunchUs'] });
    assert.ok(Math.abs(result.values['efficiency.linear.memory']! - 0.55) < 0.01, JSON.stringify(result.values));
    assert.ok(Math.abs(result.values['kernelLaunchUs']! - 4) < 0.1, JSON.stringify(result.values));
    // At the truth's values the prediction is its kernels plus the fixed time: every step takes at least its fixed time.
    for (const o of result.observations) assert.ok(o.afterMs >= rows.find((r) => r.label === o.label)!.terms.reduce((sum, t) => sum + t.weight * fixedMs, 0));
    assert.ok(result.rmsAfter < 1e-3);
  });

  test('refuses a key it cannot fit, and a board that is not a roofline board', async () => {
    assert.throws(() => calibrate({ hardware: board(), model: tiny, observations: [], keys: ['hbm.nonsense'] }), /cannot fit "hbm.nonsense"/);
    const result = await runMain(['calibrate', '--hardware', 'u280', '--gpu', join(ROOT, 'compiler_output/gpu_profile/a100-vllm.csv'), '--out', join(work, 'x.yaml')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /calibrate fits roofline boards .* u280 is of kind flightllm/);
  });

  test('calibrate on results serve saved reproduces them within 1 % before fitting; one result alone is too few, never a crash', async () => {
    const gpu = ['--hardware', 'a100-80gb-sxm', '--model', tinyModelFile(work), '--precision', 'FP16'];
    const saved = (concurrency: number) => join(work, `saved-c${concurrency}.json`);
    for (const concurrency of [1, 4]) {
      const served = await runMain(['serve', ...gpu, '--num-prompts', '12', '--random-input-len', '128', '--random-output-len', '16', '--max-concurrency', String(concurrency), '--save-result', '--result-filename', saved(concurrency)]);
      assert.equal(served.code, 0, served.stderr);
    }
    const fitted = await runMain(['calibrate', ...gpu, '--gpu', saved(1), saved(4), '--out', join(work, 'round-trip.yaml'), '--json']);
    assert.equal(fitted.code, 0, fitted.stderr);
    const { observations } = JSON.parse(fitted.stdout) as { observations: Array<{ label: string; measuredMs: number; beforeMs: number }> };
    assert.deepEqual(observations.map((o) => o.label), ['saved-c1 TPOT at concurrency 1', 'saved-c1 TTFT at concurrency 1', 'saved-c4 TPOT at concurrency 4']);
    for (const o of observations) assert.ok(Math.abs(o.beforeMs / o.measuredMs - 1) <= 0.01, `${o.label}: ${o.beforeMs} ms against ${o.measuredMs} saved`);
    const alone = await runMain(['calibrate', ...gpu, '--gpu', saved(4), '--out', join(work, 'alone.yaml')]);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /one measurement \(saved-c4 TPOT at concurrency 4\) is too few to fit \d+ parameters/);
  });

  test('without --hardware it calibrates a board it can fit (a roofline board), never one it refuses', async () => {
    // A key it cannot fit is refused after the board is taken: the default board passed the roofline check.
    const result = await runMain(['calibrate', '--gpu', join(ROOT, 'compiler_output/gpu_profile/a100-vllm.csv'), '--fit', 'hbm.nonsense', '--out', join(work, 'z.yaml')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot fit "hbm\.nonsense"/);
    assert.doesNotMatch(result.stderr, /calibrate fits roofline boards/);
  });

  test("the shipped a100-80gb-sxm-vllm.yaml is what calibrate writes from FlightLLM's vLLM figures, and it loads", async () => {
    const out = join(work, 'a100-80gb-sxm-vllm.yaml');
    const shipped = join(ROOT, 'hardware', 'a100-80gb-sxm-vllm.yaml');
    const header = readFileSync(shipped, 'utf8').split('\n')[1]!.replace(/^#\s+/, '').split(' ');
    const args = header.slice(1).map((arg) => (arg.endsWith('.csv') ? join(ROOT, 'compiler_output/gpu_profile', arg) : arg));
    const result = await runMain([...args, '--out', out, '--name', 'a100-80gb-sxm-vllm', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const fitted = JSON.parse(result.stdout) as { values: Record<string, number>; observations: Array<{ relativeError: number }> };
    const ours = load(readFileSync(shipped, 'utf8')) as Record<string, unknown>;
    const shippedValue = (key: string) => key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], ours) as number;
    // Every value the header's command fits is the shipped one (a value it holds with --set is the shipped one too).
    assert.ok(Object.keys(fitted.values).length > 0);
    for (const [key, value] of Object.entries(fitted.values)) assert.ok(Math.abs(value - shippedValue(key)) < (key === 'kernelLaunchUs' ? 1e-2 : 1e-3), `${key}: fitted ${value}, shipped ${shippedValue(key)}`);
    const set = header.flatMap((arg, index) => (header[index - 1] === '--set' ? [arg.split('=')] : []));
    for (const [key, value] of set) assert.equal(shippedValue(key!), Number(value), `${key} held at the shipped value`);
    // The written overlay extends the base board by a relative path and loads as a board.
    writeFileSync(join(work, 'a100-80gb-sxm.yaml'), readFileSync(join(ROOT, 'hardware', 'a100-80gb-sxm.yaml')));
    const loaded = loadHardware(out) as RooflineHardware;
    assert.equal(loaded.name, 'a100-80gb-sxm-vllm');
    assert.equal(loaded.memory.bandwidthGBps, 2039);
    assert.ok(fitted.observations.every((o) => Math.abs(o.relativeError) < 0.3), 'every FlightLLM vLLM figure within 30 %');
  });
});

describe('measurements', () => {
  test('a GPU profile row is one prefill and the decode steps between its first and last context', () => {
    const profile = loadGpuProfile(join(ROOT, 'compiler_output/gpu_profile/a100-vllm.csv'));
    const observations = gpuProfileObservations(profile);
    assert.equal(observations.length, 2 * profile.rows.length);
    const decode = observations[1]!;
    assert.equal(decode.measuredMs, profile.rows[0]!.decode_ms);
    assert.deepEqual(decode.terms.map((t) => t.batch.sequences[0]!.context), [profile.rows[0]!.prompt, profile.rows[0]!.prompt + profile.rows[0]!.generated - 1]);
    assert.equal(decode.terms.reduce((sum, t) => sum + t.weight, 0), profile.rows[0]!.generated);
  });

  const vllmResult = (extra: Record<string, unknown>) => ({
    backend: 'vllm',
    model_id: 'meta-llama/Llama-2-7b-hf',
    completed: 40,
    total_input_tokens: 40 * 512,
    total_output_tokens: 40 * 128,
    max_concurrency: 8,
    request_rate: 'inf',
    duration: 12.5,
    mean_ttft_ms: 80,
    mean_tpot_ms: 14,
    output_throughput: 409.6,
    ...extra,
  });

  test('vLLM results load under current and benchmark_serving.py field names, with goodput under either key', () => {
    const current = join(work, 'current.json');
    const old = join(work, 'old.json');
    writeFileSync(current, JSON.stringify(vllmResult({ request_goodput: 3.5 })));
    writeFileSync(old, JSON.stringify(vllmResult({ 'request_goodput:': 2.25 })));
    assert.equal(goodputOf(loadVllmResult(current)), 3.5);
    assert.equal(goodputOf(loadVllmResult(old)), 2.25);
    const observations = vllmObservations(loadVllmResult(current), 'current');
    assert.equal(observations.length, 1, 'TTFT is modelled at concurrency 1 only');
    assert.deepEqual(observations[0]!.terms[0]!.batch.sequences.length, 8);
    assert.equal(observations[0]!.terms[0]!.batch.sequences[0]!.context, 512 + 64);
  });

  test('a vLLM result missing a field is refused naming the file and the field', async () => {
    const bad = join(work, 'bad.json');
    const { mean_tpot_ms: _, ...rest } = vllmResult({});
    writeFileSync(bad, JSON.stringify(rest));
    const result = await runMain(['calibrate', '--hardware', 'a100-80gb-sxm', '--gpu', bad, '--out', join(work, 'y.yaml')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad\.json/);
    assert.match(result.stderr, /mean_tpot_ms/);
  });
});
