import type { BenchPoint } from './bench.js';
import { percentile, sortedCopy } from './metrics.js';

/*
 * Figures of a serving sweep as Vega-Lite specifications (rendered by the
 * profiler's renderSvg): output throughput, end-to-end latency percentiles
 * and tokens per joule against concurrency, and the distributions of TTFT
 * and inter-token latency at each point.
 */

type Spec = Record<string, unknown>;

const WIDTH = 480;
const HEIGHT = 260;

/** The x axis of a sweep: client concurrency, or request rate. */
function xOf(point: BenchPoint): { x: number; title: string } {
  return point.maxConcurrency === undefined ? { x: point.requestRate, title: 'request rate (req/s)' } : { x: point.maxConcurrency, title: 'concurrency (requests in flight)' };
}

function xAxis(points: readonly BenchPoint[]): Spec {
  return { field: 'x', type: 'quantitative', title: points[0] === undefined ? 'concurrency' : xOf(points[0]).title, scale: { type: 'log', base: 2 } };
}

/** One line per scenario of a per-point figure against concurrency (or rate). */
function lineSpec(points: readonly BenchPoint[], s: { title: string; y: string; yTitle: string; value: (p: BenchPoint) => unknown }): Spec {
  const values = points.filter((p) => typeof s.value(p) === 'number').map((p) => ({ scenario: p.scenario, x: xOf(p).x, [s.y]: s.value(p) }));
  return {
    title: s.title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: { x: xAxis(points), y: { field: s.y, type: 'quantitative', title: s.yTitle }, color: { field: 'scenario', type: 'nominal', sort: null } },
  };
}

export function throughputSpec(points: readonly BenchPoint[], title: string): Spec {
  return lineSpec(points, { title: `Output throughput: ${title}`, y: 'tokensPerSecond', yTitle: 'output tokens per second', value: (p) => p.result.output_throughput });
}

/** Output tokens per joule against concurrency (or rate); no line where the board describes no energy. */
export function tokensPerJouleSpec(points: readonly BenchPoint[], title: string): Spec {
  return lineSpec(points, { title: `Energy efficiency: ${title}`, y: 'tokensPerJoule', yTitle: 'output tokens per joule', value: (p) => p.result.output_tokens_per_joule });
}

export function latencyPercentilesSpec(points: readonly BenchPoint[], title: string, percentiles: readonly number[] = [50, 90, 99]): Spec {
  const values = points.flatMap((p) => percentiles.map((q) => ({ scenario: p.scenario, x: xOf(p).x, percentile: `P${q}`, ms: p.result[`p${q}_e2el_ms`] })));
  return {
    title: `End-to-end latency: ${title}`,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: xAxis(points),
      y: { field: 'ms', type: 'quantitative', title: 'end-to-end latency (ms)', scale: { type: 'log' } },
      color: { field: 'scenario', type: 'nominal', sort: null },
      strokeDash: { field: 'percentile', type: 'nominal', sort: null },
    },
  };
}

/**
 * One box per point: P25–P75 box, P1–P99 whisker, a tick at the median,
 * from every request's TTFT or every token's ITL.
 */
export function distributionSpec(points: readonly BenchPoint[], metric: 'ttft' | 'itl', title: string): Spec {
  const values = points.map((p) => {
    const sorted = sortedCopy(metric === 'ttft' ? p.requests.map((r) => r.ttftMs) : p.requests.flatMap((r) => r.itlMs));
    const at = (q: number) => percentile(sorted, q);
    return { scenario: p.scenario, x: xOf(p).x, p1: at(1), p25: at(25), median: at(50), p75: at(75), p99: at(99) };
  });
  const name = metric === 'ttft' ? 'time to first token' : 'inter-token latency';
  const encoding = { x: { field: 'x', type: 'ordinal', title: points[0] === undefined ? 'concurrency' : xOf(points[0]).title }, color: { field: 'scenario', type: 'nominal', sort: null }, xOffset: { field: 'scenario', sort: null } };
  return {
    title: `${name[0]!.toUpperCase()}${name.slice(1)} (P1, P25, median, P75, P99): ${title}`,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [
      { mark: 'rule', encoding: { ...encoding, y: { field: 'p1', type: 'quantitative', title: `${name} (ms)`, scale: { type: 'log' } }, y2: { field: 'p99' } } },
      { mark: { type: 'bar', width: 6, opacity: 0.7 }, encoding: { ...encoding, y: { field: 'p25', type: 'quantitative' }, y2: { field: 'p75' } } },
      { mark: { type: 'tick', color: 'black', thickness: 2 }, encoding: { ...encoding, y: { field: 'median', type: 'quantitative' } } },
    ],
  };
}
