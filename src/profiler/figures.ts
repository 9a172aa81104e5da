import type { Profile } from '../backends/profile.js';
import { FIGURE_HEIGHT, FIGURE_WIDTH, fixedFormat, styled, xLabelAngle, type VegaLiteSpec } from '../figures/index.js';
import { caseLabel } from './cases.js';
import type { Comparison } from './compare.js';

/*
 * The figures a profile is presented with, as Vega-Lite specifications built
 * from plain data, in the paper style (src/figures/). Rendering them is
 * separate, so the specifications can be tested, edited or rendered
 * elsewhere.
 */

export type { VegaLiteSpec } from '../figures/index.js';

/** Case label as the paper's figure shows it: prompt + generated tokens. */
function caseName(c: { batch: number; prompt: number; generated: number }): string {
  return c.batch === 1 ? `${c.prompt}+${c.generated}` : caseLabel(c);
}

/**
 * What a legend calls each GPU column: its device and backend
 * (`A100-80GB (inferred), GPU-opt`), given `devices` by backend label;
 * the label alone where none is given.
 */
function seriesName(backend: string, devices: Readonly<Record<string, string>> | undefined): string {
  const device = devices?.[backend];
  return device === undefined || device === '' ? backend : `${device}, ${backend}`;
}

function caseAxis(comparison: Comparison): Record<string, unknown> {
  const names = comparison.cases.map((row) => caseName(row.case));
  return { field: 'case', type: 'nominal', title: 'Prompt + generated tokens', sort: null, axis: { labelAngle: xLabelAngle(names) } };
}

/** Total latency of every case on every device (the paper's Figure 12, left); `devices` names each GPU backend's device. */
export function caseLatencySpec(comparison: Comparison, boardLabel: string, devices?: Readonly<Record<string, string>>): VegaLiteSpec {
  const values = comparison.cases.flatMap((row) => [
    ...comparison.backends.flatMap((backend) => (row.gpu[backend] === undefined ? [] : [{ case: caseName(row.case), device: seriesName(backend, devices), totalS: row.gpu[backend]!.totalMs / 1000 }])),
    ...(row.device === undefined ? [] : [{ case: caseName(row.case), device: boardLabel, totalS: row.device.totalMs / 1000 }]),
  ]);
  return styled({
    title: 'End-to-end latency per case',
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    data: { values },
    mark: 'bar',
    encoding: {
      x: caseAxis(comparison),
      xOffset: { field: 'device', sort: null },
      y: { field: 'totalS', type: 'quantitative', title: 'End-to-end latency (s)' },
      color: { field: 'device', type: 'nominal', title: 'Device', sort: null, legend: { orient: 'bottom', direction: 'vertical' } },
    },
  });
}

/** The FPGA's speedup over each GPU per case (the paper's Figure 12, right); `devices` names each GPU backend's device. */
export function caseSpeedupSpec(comparison: Comparison, boardLabel: string, devices?: Readonly<Record<string, string>>): VegaLiteSpec {
  const values = comparison.cases.flatMap((row) =>
    comparison.backends.flatMap((backend) => (row.speedup[backend] === undefined ? [] : [{ case: caseName(row.case), over: seriesName(backend, devices), speedup: row.speedup[backend]! }])),
  );
  return styled({
    title: { text: `${boardLabel}: speedup over each GPU`, subtitle: 'GPU latency over FPGA latency; above 1 the FPGA is faster' },
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          x: caseAxis(comparison),
          xOffset: { field: 'over', sort: null },
          y: { field: 'speedup', type: 'quantitative', title: `Speedup of the ${boardLabel} (×)` },
          color: { field: 'over', type: 'nominal', title: 'Over', sort: null, legend: { orient: 'bottom', direction: 'vertical' } },
        },
      },
      { mark: { type: 'rule', strokeDash: [4, 4], color: '#333' }, encoding: { y: { datum: 1 } } },
    ],
  });
}

/** Latency of one decode step against the context length. */
export function decodeLatencySpec(latencies: Readonly<Record<number, number>>, boardLabel: string): VegaLiteSpec {
  const values = Object.entries(latencies)
    .map(([context, decodeMs]) => ({ context: Number(context), decodeMs }))
    .sort((a, b) => a.context - b.context);
  return styled({
    title: `${boardLabel}: latency of one decode step`,
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    data: { values },
    mark: { type: 'line', point: values.length <= 40 },
    encoding: {
      x: { field: 'context', type: 'quantitative', title: 'Context length (tokens)' },
      y: { field: 'decodeMs', type: 'quantitative', title: 'Decode step (ms)', scale: { zero: false }, axis: { format: fixedFormat(values.map((v) => v.decodeMs)) } },
    },
  });
}

/** Share of each layer kind's time that each module is busy. */
export function moduleBusySpec(profile: Profile, title: string | { readonly text: string; readonly subtitle: string }): VegaLiteSpec {
  const values = moduleBusyShares(profile);
  const kinds = [...new Set(values.map((v) => v.kind))];
  return styled({
    title,
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'kind', type: 'nominal', title: 'Layer kind', sort: null, axis: { labelAngle: xLabelAngle(kinds) } },
      xOffset: { field: 'module', sort: [...profile.moduleNames] },
      y: { field: 'busyPercent', type: 'quantitative', title: "Module busy (% of the kind's time)", scale: { domain: [0, 100] } },
      color: { field: 'module', type: 'nominal', title: 'Module', sort: [...profile.moduleNames] },
    },
  });
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
