export { FIGURE_WIDTH, FIGURE_HEIGHT, PALETTE, DASHES, DASH_LEGEND, PAPER_CONFIG, styled, needsLogScale, valueScale, xLabelAngle, fixedDecimals, fixedFormat, viridisAt, textColorOn, relativeLuminance, type VegaLiteSpec } from './style.js';
export { axisTitle } from './labels.js';
export { renderSvg, svgToPng, writeFigure, figureFiles, textWidth, PNG_SCALE } from './render.js';
