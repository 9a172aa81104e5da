import { writeFileAtomic } from '../util/files.js';
import { styled, type VegaLiteSpec } from './style.js';

/*
 * Drawing a specification: SVG by Vega's headless renderer, PNG from that
 * SVG by resvg. Both are imported on first use: they are large, and only
 * figures need them.
 */

/** Renders a Vega-Lite specification to SVG, in the paper style (style.ts) under the spec's own configuration. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  measureTextByFont((vega as unknown as { textMetrics: TextMetrics }).textMetrics);
  const compiled = vegaLite.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...styled(spec) } as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

interface TextMetrics {
  width: (item: { fontSize?: number | string }, text?: unknown) => number;
  estimateWidth: (item: { fontSize?: number | string }, text?: unknown) => number;
}

/**
 * Without a canvas Vega estimates every character at 0.8 em, about half as
 * wide again as sans-serif text is: a long title then pads the figure with
 * an empty margin. Where Vega estimates (it has no canvas), it gets a
 * per-character estimate instead (textWidth).
 */
function measureTextByFont(metrics: TextMetrics): void {
  if (metrics.width !== metrics.estimateWidth) return;
  metrics.width = (item, text) => textWidth(String(text ?? ''), item.fontSize === undefined ? 11 : Number(item.fontSize));
}

/** Widths of a sans-serif font's characters in em, by class (Helvetica's and DejaVu Sans's, rounded up). */
const NARROW = new Set("il.,:;|!'`ıj");
const SEMI = new Set('frt()[]{}/\\-I1 ');
const WIDE = new Set('mwMW@%');

/** About how wide `text` is drawn at `fontSize` pixels in a sans-serif font, rounded up. */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const char of text) {
    if (NARROW.has(char)) em += 0.3;
    else if (SEMI.has(char)) em += 0.4;
    else if (WIDE.has(char)) em += 0.9;
    else if (char >= 'A' && char <= 'Z') em += 0.7;
    else if (char >= '0' && char <= '9') em += 0.66;
    else em += 0.6;
  }
  return Math.ceil(em * fontSize);
}

/** Pixels per SVG unit in a PNG: 2 gives a 480-unit-wide plot about 1,100 pixels, 300 dpi at 9 cm. */
export const PNG_SCALE = 2;

/** Rasterises an SVG to PNG on white, text in the system's sans-serif font. */
export async function svgToPng(svg: string, scale = PNG_SCALE): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const image = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' } });
  return image.render().asPng();
}

/** A figure's two files, `<base>.svg` and `<base>.png` (a path ending in .svg or .png names the same pair), rendered but not written: for an output set. */
export async function figureFiles(path: string, spec: VegaLiteSpec): Promise<ReadonlyArray<readonly [string, string | Uint8Array]>> {
  const base = path.replace(/\.(svg|png)$/, '');
  const svg = await renderSvg(spec);
  return [
    [`${base}.svg`, svg],
    [`${base}.png`, await svgToPng(svg)],
  ];
}

/** Writes a figure as `<base>.svg` and `<base>.png` (a path ending in .svg or .png names the same pair); returns both paths. */
export async function writeFigure(path: string, spec: VegaLiteSpec): Promise<{ readonly svg: string; readonly png: string }> {
  const base = path.replace(/\.(svg|png)$/, '');
  const svg = await renderSvg(spec);
  const paths = { svg: `${base}.svg`, png: `${base}.png` };
  writeFileAtomic(paths.svg, svg);
  writeFileAtomic(paths.png, await svgToPng(svg));
  return paths;
}
