import { renderSvg, type VegaLiteSpec } from '../profiler/index.js';

/*
 * Showing results in a notebook: tables and figures as objects a Jupyter
 * kernel displays (Deno's kernel shows any value with a
 * `Symbol.for('Jupyter.display')` method), and `show` to display one from
 * the middle of a cell. The notebooks import these instead of each pasting
 * its own.
 */

/** The key Deno's Jupyter kernel looks up to display a value. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for('Jupyter.display') as never;

/** MIME type to content, as a notebook output holds it. */
export type MimeBundle = Readonly<Record<string, string>>;

export interface Displayable {
  [JUPYTER_DISPLAY](): MimeBundle;
}

export type Cell = string | number | null | undefined;

/** A table: Markdown for notebooks, HTML where Markdown is not rendered, and plain text. */
export interface Table extends Displayable {
  readonly markdown: string;
  readonly html: string;
}

/** A table from a header and rows; numbers are shown as given (format them first), empty cells as `—`. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): Table {
  const text = (cell: Cell) => (cell === null || cell === undefined || cell === '' ? '—' : String(cell));
  const line = (cells: readonly Cell[]) => `| ${cells.map((cell) => text(cell).replaceAll('|', '\\|')).join(' | ')} |`;
  const markdown = [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
  const escape = (cell: Cell) => text(cell).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const htmlRow = (cells: readonly Cell[], tag: 'th' | 'td') => `<tr>${cells.map((cell) => `<${tag}>${escape(cell)}</${tag}>`).join('')}</tr>`;
  const html = `<table><thead>${htmlRow(header, 'th')}</thead><tbody>${rows.map((row) => htmlRow(row, 'td')).join('')}</tbody></table>`;
  return { markdown, html, [JUPYTER_DISPLAY]: () => ({ 'text/markdown': markdown, 'text/html': html, 'text/plain': markdown }) };
}

/** Preformatted text (the CLI's tables and reports) shown as it is. */
export function preformatted(content: string): Displayable & { readonly text: string } {
  return { text: content, [JUPYTER_DISPLAY]: () => ({ 'text/plain': content }) };
}

/** A Vega-Lite figure rendered to SVG. */
export async function figure(spec: VegaLiteSpec): Promise<Displayable & { readonly svg: string }> {
  const svg = await renderSvg(spec);
  return { svg, [JUPYTER_DISPLAY]: () => ({ 'image/svg+xml': svg }) };
}

interface JupyterHost {
  readonly jupyter?: { display(bundle: MimeBundle, options: { raw: true }): Promise<void> };
}

/**
 * Displays a table, text or figure now, from anywhere in a cell, through the
 * kernel where one runs (Deno's). Outside a notebook it does nothing: the
 * library prints nothing; a table's `markdown`, a figure's `svg` are there
 * to print or save.
 */
export async function show(item: Displayable | Promise<Displayable>): Promise<void> {
  const bundle = (await item)[JUPYTER_DISPLAY]();
  await (globalThis as { Deno?: JupyterHost }).Deno?.jupyter?.display(bundle, { raw: true });
}
