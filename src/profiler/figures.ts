import type { Profile } from '../backends/profile.js';
import { caseLabel } from './cases.js';
import type { Comparison } from './compare.js';

/*
 * The figures a profile is presented with, as Vega-Lite specifications built
 * from plain data. Rendering them to SVG is separate (render.ts), so the
 * specifications can be tested, edited or rendered elsewhere.
 */

export type VegaLiteSpec = Record<string, unknown>;

const WIDTH = 480;
const HEIGHT = 260;

/** Case label as the paper's figure shows it: prompt + generated tokens. */
function caseName(c: { batch: number; prompt: number; generated: number }): string {
  return c.batch === 1 ? `${c.prompt}+${c.generated}` : caseLabel(c);
}

/** Total latency of every case on every device (the paper's Figure 12, left). */
export function caseLatencySpec(comparison: Comparison, deviceLabel: string): VegaLiteSpec {
  const values = comparison.cases.flatMap((row) => [
    ...comparison.backends.flatMap((backend) => (row.gpu[backend] === undefined ? [] : [{ case: caseName(row.case), device: backend, totalMs: row.gpu[backend]!.totalMs }])),
    ...(row.device === undefined ? [] : [{ case: caseName(row.case), device: deviceLabel, totalMs: row.device.totalMs }]),
  ]);
  return {
    title: 'End-to-end latency per case',
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'case', type: 'nominal', title: 'prompt + generated tokens', sort: null },
      xOffset: { field: 'device', sort: null },
      y: { field: 'totalMs', type: 'quantitative', title: 'total latency (ms)' },
      color: { field: 'device', type: 'nominal', title: 'device', sort: null },
    },
  };
}

/** The FPGA's speedup over each GPU backend per case (the paper's Figure 12, right). */
export function caseSpeedupSpec(comparison: Comparison, deviceLabel: string): VegaLiteSpec {
  const values = comparison.cases.flatMap((row) =>
    comparison.backends.flatMap((backend) => (row.speedup[backend] === undefined ? [] : [{ case: caseName(row.case), over: backend, speedup: row.speedup[backend]! }])),
  );
  return {
    title: `${deviceLabel} speedup over each GPU`,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          x: { field: 'case', type: 'nominal', title: 'prompt + generated tokens', sort: null },
          xOffset: { field: 'over', sort: null },
          y: { field: 'speedup', type: 'quantitative', title: 'speedup (GPU time / FPGA time)' },
          color: { field: 'over', type: 'nominal', title: 'over', sort: null },
        },
      },
      { mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { y: { datum: 1 } } },
    ],
  };
}

/** Latency of one decode step against the context length. */
export function decodeLatencySpec(latencies: Readonly<Record<number, number>>, deviceLabel: string): VegaLiteSpec {
  const values = Object.entries(latencies)
    .map(([context, decodeMs]) => ({ context: Number(context), decodeMs }))
    .sort((a, b) => a.context - b.context);
  return {
    title: `${deviceLabel}: decode latency per token`,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'context', type: 'quantitative', title: 'context length (tokens)' },
      y: { field: 'decodeMs', type: 'quantitative', title: 'decode step (ms)', scale: { zero: false } },
    },
  };
}

/** Share of each layer kind's time that each module is busy. */
export function moduleBusySpec(profile: Profile, title: string): VegaLiteSpec {
  return {
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: moduleBusyShares(profile) },
    mark: 'bar',
    encoding: {
      x: { field: 'kind', type: 'nominal', title: 'layer kind', sort: null },
      xOffset: { field: 'module', sort: null },
      y: { field: 'busyPercent', type: 'quantitative', title: 'module busy (% of the kind\'s time)' },
      color: { field: 'module', type: 'nominal', title: 'module', sort: [...profile.moduleNames] },
    },
  };
}

/** Per layer kind and module: busy time as a percentage of the time the kind's steps take. */
export function moduleBusyShares(profile: Profile): Array<{ kind: string; module: string; busyPercent: number }> {
  const kinds = new Map<string, { wallMs: number; busyMs: number[] }>();
  for (const step of profile.steps) {
    const entry = kinds.get(step.type) ?? { wallMs: 0, busyMs: profile.moduleNames.map(() => 0) };
    entry.wallMs += step.endMs - step.startMs;
    profile.moduleNames.forEach((module, index) => (entry.busyMs[index]! += step.modules[module]!.busyMs));
    kinds.set(step.type, entry);
  }
  return [...kinds].flatMap(([kind, entry]) =>
    profile.moduleNames.flatMap((module, index) => (entry.busyMs[index]! > 0 ? [{ kind, module, busyPercent: (entry.busyMs[index]! / entry.wallMs) * 100 }] : [])),
  );
}
