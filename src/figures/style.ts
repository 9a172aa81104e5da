/*
 * One style for every figure the tool draws (profile, serving, sweep): the
 * sizes, fonts and colours a paper's figure needs, and the small decisions
 * each figure makes from its data (log or linear axis, label angle, decimals,
 * a heat-map cell's text colour). Specifications are Vega-Lite's, as plain
 * data; render.ts draws them.
 */

/** A Vega-Lite specification, as plain data. */
export type VegaLiteSpec = Record<string, unknown>;

export const FIGURE_WIDTH = 480;
export const FIGURE_HEIGHT = 280;

/** Okabe and Ito's eight colours, told apart with any colour vision and in greyscale by lightness. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'] as const;

/** Dash patterns of lines told apart by style (percentiles): solid, dashed, dotted, dash-dot. */
export const DASHES: readonly (readonly number[])[] = [[1, 0], [8, 4], [2, 3], [10, 3, 2, 3]];

const FONT = 'Helvetica, Arial, "DejaVu Sans", "Liberation Sans", sans-serif';

/** The configuration every figure is drawn with. */
export const PAPER_CONFIG = {
  font: FONT,
  background: 'white',
  padding: 8,
  title: { fontSize: 14, fontWeight: 'normal', subtitleFontSize: 11, subtitleColor: '#444', anchor: 'start', offset: 10, limit: 0 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', titleColor: '#222', labelColor: '#222', gridColor: '#e6e6e6', domainColor: '#666', tickColor: '#666', labelLimit: 180 },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 320, titleLimit: 320, symbolStrokeWidth: 2 },
  range: { category: [...PALETTE] },
  mark: { color: PALETTE[0] },
  line: { strokeWidth: 2 },
  point: { size: 36, filled: true },
  view: { stroke: '#999' },
} as const;

/** The spec with the paper configuration under whatever it configures itself. */
export function styled(spec: VegaLiteSpec): VegaLiteSpec {
  return { ...spec, config: mergeDeep(PAPER_CONFIG, (spec['config'] ?? {}) as Record<string, unknown>) };
}

/** A legend for a strokeDash channel: short lines in each dash, not dots. */
export const DASH_LEGEND = { symbolType: 'stroke', symbolSize: 500, symbolStrokeWidth: 2, symbolStrokeColor: '#222' } as const;

/** Whether values spread so far that a linear axis would flatten the small ones: the largest is 20 times the smallest or more. */
export function needsLogScale(values: readonly number[]): boolean {
  const positive = values.filter((value) => Number.isFinite(value) && value > 0);
  if (positive.length < 2) return false;
  return Math.max(...positive) / Math.min(...positive) >= 20;
}

/** An axis scale for values: logarithmic where they need it (see {@link needsLogScale}), linear from zero otherwise; never rounded out to empty decades. */
export function valueScale(values: readonly number[]): Record<string, unknown> {
  return needsLogScale(values) ? { type: 'log', nice: false, padding: 8 } : { type: 'linear', zero: true, nice: true };
}

/** About how wide a label is drawn at 11 px, in pixels. */
const labelWidth = (text: string) => text.length * 6.2 + 10;

/** 0 (horizontal) where every label fits in its share of the width, else −45. */
export function xLabelAngle(labels: readonly string[], widthPx = FIGURE_WIDTH): number {
  if (labels.length === 0) return 0;
  return Math.max(...labels.map(labelWidth)) <= widthPx / labels.length ? 0 : -45;
}

/** Decimals that show four significant digits of the largest value, 0 to 3: every label of a figure gets the same. */
export function fixedDecimals(values: readonly number[]): number {
  const largest = Math.max(0, ...values.filter(Number.isFinite).map(Math.abs));
  if (largest === 0) return 0;
  return Math.min(3, Math.max(0, 3 - Math.floor(Math.log10(largest))));
}

/** d3's format for {@link fixedDecimals}: `,.1f`. */
export function fixedFormat(values: readonly number[]): string {
  return `,.${fixedDecimals(values)}f`;
}

/** Viridis at five stops (matplotlib's and Vega's scheme), enough to know a cell's lightness. */
const VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'] as const;

/** Viridis at t in [0, 1]. */
export function viridisAt(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const [a, b] = [rgb(VIRIDIS[i]!), rgb(VIRIDIS[i + 1]!)];
  return hex(a.map((channel, k) => channel + (b[k]! - channel) * (x - i)));
}

/** Black or white, whichever contrasts more with the fill (WCAG's relative luminance). */
export function textColorOn(fill: string): 'black' | 'white' {
  const luminance = relativeLuminance(fill);
  return (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) ? 'black' : 'white';
}

export function relativeLuminance(color: string): number {
  const [r, g, b] = rgb(color).map((channel) => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function rgb(color: string): number[] {
  return [1, 3, 5].map((start) => parseInt(color.slice(start, start + 2), 16));
}

function hex(channels: readonly number[]): string {
  return `#${channels.map((channel) => Math.round(channel).toString(16).padStart(2, '0')).join('')}`;
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = out[key];
    out[key] = isPlainObject(under) && isPlainObject(value) ? mergeDeep(under, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
