import { dirname, relative, resolve } from 'node:path';
import { dump } from 'js-yaml';
import type { Calibration } from './fit.js';

/*
 * A calibration written as a hardware file that extends the board it was
 * fitted on: the fitted values, and in comments what they were fitted to
 * and how close the fit came.
 */

export interface OverlayOptions {
  /** The board file the overlay extends. */
  readonly basePath: string;
  /** Where the overlay goes (the `extends:` path is relative to it). */
  readonly outPath: string;
  readonly name: string;
  readonly description: string;
  /** What was fitted, for the header: the command line and the measurement files. */
  readonly fittedOn: readonly string[];
}

export function overlayYaml(calibration: Calibration, options: OverlayOptions): string {
  const base = relative(dirname(resolve(options.outPath)), resolve(options.basePath)) || options.basePath;
  const tree: Record<string, unknown> = { extends: base, name: options.name, description: options.description };
  for (const [key, value] of Object.entries(calibration.values)) {
    const parts = key.split('.');
    const parent = parts.slice(0, -1).reduce<Record<string, unknown>>((node, part) => (node[part] ??= {}) as Record<string, unknown>, tree);
    parent[parts.at(-1)!] = Number(value.toPrecision(4));
  }
  const width = Math.max(...calibration.observations.map((o) => o.label.length));
  const header = [
    `Calibrated by fpga-llm-sim calibrate: least squares over the relative errors of`,
    ...options.fittedOn.map((line) => `  ${line}`),
    `Relative error per measurement (simulated − measured) / measured:`,
    ...calibration.observations.map((o) => `  ${o.label.padEnd(width)}  measured ${o.measuredMs.toFixed(1).padStart(9)} ms  simulated ${o.afterMs.toFixed(1).padStart(9)} ms  ${formatPercent(o.relativeError)}`),
    `RMS relative error: ${(calibration.rmsBefore * 100).toFixed(2)} % before, ${(calibration.rmsAfter * 100).toFixed(2)} % after.`,
    `Everything not set here comes from the file this one extends.`,
  ];
  return `${header.map((line) => `# ${line}`.trimEnd()).join('\n')}\n\n${dump(tree, { lineWidth: 120, flowLevel: 2 })}`;
}

function formatPercent(value: number): string {
  return `${value >= 0 ? '+' : ''}${(value * 100).toFixed(2)} %`;
}
