import assert from 'node:assert/strict';
import { test } from 'node:test';
import { figure, JUPYTER_DISPLAY, table } from '../../src/display/index.js';

test('a table displays as Markdown, HTML and text, with empty cells as a dash and its cells escaped', () => {
  const t = table(['board', 'token/s'], [['a|b', 1.5], ['<x>', undefined]]);
  assert.equal(t.markdown, '| board | token/s |\n| --- | --- |\n| a\\|b | 1.5 |\n| <x> | — |');
  assert.match(t.html, /<td>&lt;x&gt;<\/td><td>—<\/td>/);
  const bundle = t[JUPYTER_DISPLAY]();
  assert.deepEqual(Object.keys(bundle).sort(), ['text/html', 'text/markdown', 'text/plain']);
  assert.equal(JUPYTER_DISPLAY, Symbol.for('Jupyter.display'), "the key Deno's kernel looks for");
});

test('a figure displays as the SVG its Vega-Lite specification renders to', async () => {
  const f = await figure({ data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] }, mark: 'line', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
  assert.match(f.svg, /^<svg[\s\S]*<\/svg>$/);
  assert.equal(f[JUPYTER_DISPLAY]()['image/svg+xml'], f.svg);
});
