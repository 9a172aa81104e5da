/* The renderer lives with the figure style (src/figures/); the profiler's exports keep their names. */
export { renderSvg, svgToPng, writeFigure } from '../figures/index.js';
