import type { ValidationPoint } from './run.js';

/*
 * The parity figure: every point's simulated figure against its measured
 * one, log–log, with the line y = x and a band of ±10 % around it, one
 * colour per group, fitted and held-out points told apart by shape. A
 * Vega-Lite specification (rendered by the profiler's renderSvg).
 */

type Spec = Record<string, unknown>;

/** Relative half-width of the band around y = x. */
const BAND = 0.1;
/** Points of the line and band, per decade of the axes. */
const LINE_STEPS = 8;

export function paritySpec(points: readonly ValidationPoint[], title = 'Simulated against measured'): Spec {
  const values = points.map((p) => ({
    id: p.case.row.id,
    group: p.case.row.group,
    metric: p.case.row.metric,
    split: p.case.fit ? 'fitted' : 'held out',
    measured: p.measured,
    simulated: p.simulated,
    error: `${p.error >= 0 ? '+' : ''}${(p.error * 100).toFixed(1)} %`,
  }));
  const all = points.flatMap((p) => [p.measured, p.simulated]).filter((v) => v > 0);
  const [low, high] = [Math.min(...all) / 1.5, Math.max(...all) * 1.5];
  const line = diagonal(low, high);
  const axis = (title: string) => ({ type: 'quantitative', title, scale: { type: 'log', domain: [low, high], nice: false } });
  return {
    title,
    width: 520,
    height: 520,
    layer: [
      { data: { values: line }, mark: { type: 'area', opacity: 0.15, color: 'gray' }, encoding: { x: { field: 'x', ...axis('measured') }, y: { field: 'low', ...axis('simulated') }, y2: { field: 'high' } } },
      { data: { values: line }, mark: { type: 'line', color: 'black', strokeDash: [4, 3] }, encoding: { x: { field: 'x', ...axis('measured') }, y: { field: 'x', ...axis('simulated') } } },
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x: { field: 'measured', ...axis(`measured (each metric in its own unit; band: ±${BAND * 100} %)`) },
          y: { field: 'simulated', ...axis('simulated') },
          color: { field: 'group', type: 'nominal' },
          shape: { field: 'split', type: 'nominal', title: 'fit' },
          tooltip: [{ field: 'id' }, { field: 'metric' }, { field: 'measured' }, { field: 'simulated' }, { field: 'error' }],
        },
      },
    ],
  };
}

/** The line y = x and the band around it over [low, high], evenly spaced on the log axis. */
function diagonal(low: number, high: number): Array<{ x: number; low: number; high: number }> {
  const decades = Math.log10(high / low);
  const count = Math.max(2, Math.ceil(decades * LINE_STEPS) + 1);
  return Array.from({ length: count }, (_, i) => {
    const x = low * 10 ** ((decades * i) / (count - 1));
    return { x, low: x * (1 - BAND), high: x * (1 + BAND) };
  });
}
