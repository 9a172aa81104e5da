import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderSvg } from '../../src/figures/index.js';
import { distributionSpec, latencyPercentilesSpec, type BenchPoint } from '../../src/serving/index.js';

/** A bench point with the fields the figures read: E2E percentiles, and each request's TTFT. */
function point(concurrency: number, ttftMs: readonly number[]): BenchPoint {
  const e2e = 1000 * concurrency;
  return {
    scenario: '128/64',
    maxConcurrency: concurrency,
    requestRate: Infinity,
    result: { p50_e2el_ms: e2e, p90_e2el_ms: 1.5 * e2e, p99_e2el_ms: 2 * e2e },
    requests: ttftMs.map((ttft) => ({ ttftMs: ttft, itlMs: [10, 11] })),
  } as unknown as BenchPoint;
}

const yScale = (spec: Record<string, unknown>) => ((spec['layer'] as Array<{ encoding: { y: { scale?: { type?: string } } } }>)[0]!.encoding.y.scale ?? {}).type;

describe('serving figures', () => {
  test('the percentile legend draws each line in its own dash, not as dots', async () => {
    const svg = await renderSvg(latencyPercentilesSpec([point(1, [5]), point(2, [5])], 'Tiny on VHK158 FPGA'));
    const symbols = [...svg.matchAll(/role-legend-symbol[^>]*><path [^>]*d="M-?[\d.]+,0L[\d.]+,0"[^>]*stroke-dasharray="([\d,]+)"/g)].map((match) => match[1]);
    assert.equal(symbols.length, 3, 'three line symbols, one per percentile');
    assert.equal(new Set(symbols).size, 3, `distinct dashes: ${symbols.join(' | ')}`);
    for (const label of ['P50', 'P90', 'P99']) assert.match(svg, new RegExp(`>${label}</text>`));
    assert.match(svg, />End-to-end latency \(s\)</);
  });

  test('a box plot uses a log axis where its values spread twentyfold, a linear one where they do not', () => {
    assert.equal(yScale(distributionSpec([point(1, [10, 20, 30]), point(2, [400, 800, 1000])], 'ttft', 'x')), 'log');
    assert.equal(yScale(distributionSpec([point(1, [300, 400, 500]), point(2, [450, 550, 600])], 'ttft', 'x')), undefined);
  });
});
