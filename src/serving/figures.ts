import { DASH_LEGEND, DASHES, FIGURE_HEIGHT, FIGURE_WIDTH, needsLogScale, styled, type VegaLiteSpec } from '../figures/index.js';
import type { BenchPoint } from './bench.js';
import { percentile, sortedCopy } from './metrics.js';

/*
 * Figures of a serving sweep as Vega-Lite specifications in the paper style
 * (src/figures/): output throughput, end-to-end latency percentiles and
 * tokens per joule against concurrency, and the distributions of TTFT and
 * inter-token latency at each point. `title` names the model and the board
 * by its display name (`LLaMA2-7B on VHK158 FPGA`).
 */

type Spec = VegaLiteSpec;

/** The x axis of a sweep: client concurrency, or request rate. */
function xOf(point: BenchPoint): { x: number; title: string } {
  return point.maxConcurrency === undefined ? { x: point.requestRate, title: 'Request rate (req/s)' } : { x: point.maxConcurrency, title: 'Concurrency (requests in flight)' };
}

function xAxis(points: readonly BenchPoint[]): Spec {
  const xs = [...new Set(points.map((p) => xOf(p).x))].sort((a, b) => a - b);
  return { field: 'x', type: 'quantitative', title: points[0] === undefined ? 'Concurrency' : xOf(points[0]).title, scale: { type: 'log', base: 2, nice: false }, axis: { values: xs, format: 'd', labelAngle: 0 } };
}

/** One colour per scenario; no legend where there is only one (the title names it). */
function scenarioColor(points: readonly BenchPoint[]): Spec {
  const one = new Set(points.map((p) => p.scenario)).size <= 1;
  return { field: 'scenario', type: 'nominal', title: 'Scenario (input/output tokens)', sort: null, ...(one ? { legend: null } : {}) };
}

function subtitle(points: readonly BenchPoint[]): string | undefined {
  const scenarios = [...new Set(points.map((p) => p.scenario))];
  return scenarios.length === 1 ? `Scenario ${scenarios[0]} (input/output tokens)` : undefined;
}

function titled(text: string, points: readonly BenchPoint[]): Spec {
  const sub = subtitle(points);
  return sub === undefined ? { text } : { text, subtitle: sub };
}

/** One line per scenario of a per-point figure against concurrency (or rate). */
function lineSpec(points: readonly BenchPoint[], s: { title: string; y: string; yTitle: string; value: (p: BenchPoint) => number | null }): Spec {
  const values = points.flatMap((p) => {
    const value = s.value(p);
    return value === null ? [] : [{ scenario: p.scenario, x: xOf(p).x, [s.y]: value }];
  });
  return styled({
    title: titled(s.title, points),
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: { x: xAxis(points), y: { field: s.y, type: 'quantitative', title: s.yTitle }, color: scenarioColor(points) },
  });
}

export function throughputSpec(points: readonly BenchPoint[], title: string): Spec {
  return lineSpec(points, { title: `Output throughput: ${title}`, y: 'tokensPerSecond', yTitle: 'Output throughput (token/s)', value: (p) => p.result.output_throughput });
}

/** Output tokens per joule against concurrency (or rate); no line where the board describes no energy. */
export function tokensPerJouleSpec(points: readonly BenchPoint[], title: string): Spec {
  return lineSpec(points, { title: `Energy efficiency: ${title}`, y: 'tokensPerJoule', yTitle: 'Energy efficiency (output token/J)', value: (p) => p.result.output_tokens_per_joule });
}

/** P50, P90, P99 (or the percentiles given) of end-to-end latency: one colour per scenario, one dash pattern per percentile, and the legend draws each dash. */
export function latencyPercentilesSpec(points: readonly BenchPoint[], title: string, percentiles: readonly number[] = [50, 90, 99]): Spec {
  const values = points.flatMap((p) => percentiles.map((q) => ({ scenario: p.scenario, x: xOf(p).x, percentile: `P${q}`, seconds: (p.result[`p${q}_e2el_ms`] as number) / 1000 })));
  const labels = percentiles.map((q) => `P${q}`);
  return styled({
    title: titled(`End-to-end latency: ${title}`, points),
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    data: { values },
    mark: { type: 'line', point: { size: 20 } },
    encoding: {
      x: xAxis(points),
      y: { field: 'seconds', type: 'quantitative', title: 'End-to-end latency (s)', scale: needsLogScale(values.map((v) => v.seconds)) ? { type: 'log', nice: false } : { zero: true } },
      color: scenarioColor(points),
      strokeDash: { field: 'percentile', type: 'nominal', title: 'Percentile', sort: labels, scale: { domain: labels, range: labels.map((_, i) => [...DASHES[i % DASHES.length]!]) }, legend: DASH_LEGEND },
    },
  });
}

/**
 * One box per point: P25–P75 box, P1–P99 whisker, a line at the median,
 * from every request's TTFT or every token's ITL. The latency axis is
 * logarithmic only where the values spread over more than a factor of 20.
 */
export function distributionSpec(points: readonly BenchPoint[], metric: 'ttft' | 'itl', title: string): Spec {
  const values = points.map((p) => {
    const sorted = sortedCopy(metric === 'ttft' ? p.requests.map((r) => r.ttftMs) : p.requests.flatMap((r) => r.itlMs));
    const at = (q: number) => percentile(sorted, q);
    return { scenario: p.scenario, x: xOf(p).x, p1: at(1), p25: at(25), median: at(50), p75: at(75), p99: at(99) };
  });
  const name = metric === 'ttft' ? 'Time to first token' : 'Inter-token latency';
  const scale = needsLogScale(values.flatMap((v) => [v.p1, v.p99])) ? { type: 'log', nice: false, padding: 10 } : { zero: false, padding: 10 };
  const band = FIGURE_WIDTH / Math.max(1, new Set(values.map((v) => v.x)).size);
  const encoding = {
    x: { field: 'x', type: 'ordinal', title: points[0] === undefined ? 'Concurrency' : xOf(points[0]).title, axis: { labelAngle: 0 } },
    color: scenarioColor(points),
    xOffset: { field: 'scenario', sort: null },
  };
  return styled({
    title: { text: `${name}: ${title}`, subtitle: ['Box: P25 to P75; line: median; whiskers: P1 to P99', ...(subtitle(points) === undefined ? [] : [subtitle(points)!])] },
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    data: { values },
    layer: [
      { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { ...encoding, y: { field: 'p1', type: 'quantitative', title: `${name} (ms)`, scale }, y2: { field: 'p99' } } },
      { mark: { type: 'bar', width: { band: 0.6 }, opacity: 0.85 }, encoding: { ...encoding, y: { field: 'p25', type: 'quantitative', scale }, y2: { field: 'p75' } } },
      { mark: { type: 'tick', color: 'black', thickness: 2, size: Math.max(8, band * 0.6) }, encoding: { x: encoding.x, xOffset: encoding.xOffset, y: { field: 'median', type: 'quantitative', scale } } },
    ],
  });
}
