import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { axisTitle, fixedDecimals, needsLogScale, relativeLuminance, styled, svgToPng, textColorOn, textWidth, viridisAt, xLabelAngle, PAPER_CONFIG, renderSvg } from '../../src/figures/index.js';

describe('the figure style', () => {
  test('sweep keys and objectives read as words with units', () => {
    assert.equal(axisTitle('decodeTokensPerSecond'), 'Decode throughput (token/s)');
    assert.equal(axisTitle('hbm.bandwidthGiBps'), 'HBM bandwidth (GiB/s)');
    // Keys the table does not name: words from the key, the unit from its suffix.
    assert.equal(axisTitle('pcie.bandwidthGBps'), 'PCIe bandwidth (GB/s)');
    assert.equal(axisTitle('host.opOverheadUs'), 'Host op overhead (µs)');
    assert.equal(axisTitle('dpu.ddrChannelsPerKernel'), 'DPU DDR channels per kernel');
  });

  test('heat-map text is white on viridis\'s dark end and black on its bright end (WCAG contrast)', () => {
    assert.equal(relativeLuminance('#ffffff'), 1);
    assert.equal(relativeLuminance('#000000'), 0);
    assert.equal(viridisAt(0), '#440154');
    assert.equal(viridisAt(1), '#fde725');
    assert.equal(textColorOn(viridisAt(0)), 'white');
    assert.equal(textColorOn(viridisAt(1)), 'black');
    // Lightness grows along viridis, so the text turns black once and stays black.
    const inks = Array.from({ length: 21 }, (_, i) => textColorOn(viridisAt(i / 20)));
    assert.equal(inks.indexOf('black'), inks.lastIndexOf('white') + 1);
  });

  test('one number of decimals per figure, for four significant digits of its largest value', () => {
    assert.equal(fixedDecimals([72.81, 144.4]), 1);
    assert.equal(fixedDecimals([0.28, 7.6]), 3);
    assert.equal(fixedDecimals([1234, 5]), 0);
  });

  test('a log axis only where values spread twentyfold or more', () => {
    assert.equal(needsLogScale([1, 19]), false);
    assert.equal(needsLogScale([1, 20]), true);
    assert.equal(needsLogScale([0, 5]), false);
  });

  test('labels stay horizontal where they fit their share of the width', () => {
    assert.equal(xLabelAngle(['128+512', '128+1024', '512+1536'], 480), 0);
    assert.equal(xLabelAngle(Array.from({ length: 30 }, (_, i) => `a long label ${i}`), 480), -45);
  });

  test('text width is estimated at sans-serif proportions, narrower for i than for W', () => {
    assert.ok(textWidth('iiii', 10) < textWidth('WWWW', 10));
    // Vega's own estimate without a canvas: 0.8 em a character.
    assert.ok(textWidth('End-to-end latency (s)', 12) < 0.8 * 12 * 'End-to-end latency (s)'.length);
  });

  test('every spec is drawn in the paper configuration, under its own', async () => {
    const spec = styled({ data: { values: [{ a: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } }, config: { axis: { labelFontSize: 9 } } });
    const config = spec['config'] as typeof PAPER_CONFIG & { axis: { labelFontSize: number; titleFontSize: number } };
    assert.equal(config.font, PAPER_CONFIG.font);
    assert.equal(config.axis.labelFontSize, 9);
    assert.equal(config.axis.titleFontSize, PAPER_CONFIG.axis.titleFontSize);
    const svg = await renderSvg(spec);
    assert.match(svg, /font-family="Helvetica, Arial/);
    const png = await svgToPng(svg, 1);
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
  });
});
