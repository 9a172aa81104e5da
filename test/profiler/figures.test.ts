import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { caseLatencySpec, caseSpeedupSpec, compareWithGpu, decodeLatencySpec, moduleBusyShares, moduleBusySpec, renderSvg, type GpuProfile } from '../../src/profiler/index.js';
import type { Profile, StepProfile } from '../../src/backends/profile.js';
import { MODULES } from '../../src/backends/flightllm/isa/index.js';

/** Every element of a parsed SVG, depth first. */
function elements(node: unknown, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  if (Array.isArray(node)) for (const child of node) elements(child, out);
  else if (typeof node === 'object' && node !== null) {
    out.push(node as Record<string, unknown>);
    for (const value of Object.values(node)) elements(value, out);
  }
  return out;
}

/** Parses SVG text (failing on malformed XML) and returns the aria labels of marks of one kind. */
async function marks(spec: Record<string, unknown>, kind: string): Promise<string[]> {
  const svg = await renderSvg(spec);
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg, true);
  return elements(parsed)
    .filter((element) => element['aria-roledescription'] === kind)
    .map((element) => String(element['aria-label']));
}

const fig = (prompt: number, generated: number, totalMs: number) => ({ case: { batch: 1, prompt, generated }, device: { prefillMs: 1, decodeMs: totalMs - 1, totalMs, tokensPerSecond: 1 } });
const gpu = (label: string, totals: Record<string, number>): GpuProfile => ({
  label,
  device: 'A100',
  backend: label,
  file: `${label}.csv`,
  rows: Object.entries(totals).map(([key, total]) => {
    const [prompt, generated] = key.split('+').map(Number) as [number, number];
    return { device: 'A100', backend: label, batch: 1, prompt, generated, prefill_ms: 1, decode_ms: total - 1, total_ms: total, source: 'test' };
  }),
});
const comparison = compareWithGpu([fig(128, 512, 500), fig(512, 512, 700)], [gpu('naive', { '128+512': 1000, '512+512': 1100 }), gpu('opt', { '128+512': 600 })]);

describe('figures', () => {
  test('latency bars: one per case and device that has figures, labelled with both', async () => {
    const bars = await marks(caseLatencySpec(comparison, 'VHK158 FPGA'), 'bar');
    assert.equal(bars.length, 2 + 2 + 1);
    assert.ok(bars.some((label) => /128\+512/.test(label) && /VHK158 FPGA/.test(label) && /: 0\.5(;|$)/.test(label)));
    // Seconds: the GPU's 1100 ms.
    assert.ok(bars.some((label) => /512\+512/.test(label) && /naive/.test(label) && /: 1\.1(;|$)/.test(label)), bars.join(' | '));
    assert.ok(!bars.some((label) => /512\+512/.test(label) && /opt/.test(label)), 'no bar is invented for a missing case');
  });

  test('speedup bars: GPU time over FPGA time per case and backend', async () => {
    const bars = await marks(caseSpeedupSpec(comparison, 'VHK158 FPGA'), 'bar');
    assert.equal(bars.length, 3);
    assert.ok(bars.some((label) => /128\+512/.test(label) && /naive/.test(label) && /speedup[^:]*: 2(\b|$)/i.test(label)), bars.join(' | '));
  });

  test('legends name each GPU by its device and backend where the devices are given', async () => {
    const bars = await marks(caseSpeedupSpec(comparison, 'VHK158 FPGA', { naive: 'A100-80GB', opt: 'A100-80GB' }), 'bar');
    assert.ok(bars.some((label) => /Over: A100-80GB, naive/.test(label)), bars.join(' | '));
    assert.ok(bars.some((label) => /Over: A100-80GB, opt/.test(label)), bars.join(' | '));
  });

  test('decode latency: one point per simulated context length', async () => {
    const points = await marks(decodeLatencySpec({ 144: 9.3, 160: 9.31, 1024: 10.6 }, 'VHK158 FPGA'), 'point');
    assert.equal(points.length, 3);
    assert.ok(points.some((label) => /1,024|1024/.test(label) && /10\.6/.test(label)));
  });

  test('module busy shares are busy time over the time the layer kind takes', () => {
    const step = (type: string, startMs: number, endMs: number, busy: Partial<Record<(typeof MODULES)[number], number>>): StepProfile => ({
      index: 0,
      irIndex: 0,
      name: type,
      type,
      startMs,
      endMs,
      modules: Object.fromEntries(MODULES.map((m) => [m, { count: busy[m] === undefined ? 0 : 1, busyMs: busy[m] ?? 0 }])) as StepProfile['modules'],
    });
    const profile = { totalMs: 10, instructionCount: 0, moduleNames: MODULES, modules: {} as Profile['modules'], steps: [step('linear_mv', 0, 4, { LD: 3, MV: 4 }), step('linear_mv', 4, 8, { LD: 1 }), step('concat', 8, 10, { LD: 2 })] };
    assert.deepEqual(moduleBusyShares(profile), [
      { kind: 'linear_mv', module: 'LD', busyPercent: 50 },
      { kind: 'linear_mv', module: 'MV', busyPercent: 50 },
      { kind: 'concat', module: 'LD', busyPercent: 100 },
    ]);
  });

  test('module busy bars render one bar per kind and busy module', async () => {
    const profile = {
      totalMs: 4,
      instructionCount: 2,
      moduleNames: MODULES,
      modules: {} as Profile['modules'],
      steps: [{ index: 0, irIndex: 0, name: 'x', type: 'linear_mv', startMs: 0, endMs: 4, modules: Object.fromEntries(MODULES.map((m) => [m, { count: 1, busyMs: m === 'LD' || m === 'MV' ? 2 : 0 }])) as StepProfile['modules'] }],
    };
    assert.equal((await marks(moduleBusySpec(profile, 'test'), 'bar')).length, 2);
  });
});
