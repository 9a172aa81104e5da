import type { Case, CaseFigures } from './cases.js';

/*
 * The six-case table in the layout of FlightLLM's run.py, one block per
 * case: GPU backends first, the FPGA last, then the FPGA's speedup over each
 * backend. With FlightLLM's two GPU backends and no bound column it matches
 * its output character for character; more backends add columns. The bound
 * column, when shown, holds the physical bound of each FPGA figure: the
 * least time, and the most tokens per second, the hardware allows.
 */

export interface TableCase {
  readonly case: Case;
  /** Undefined when there are no FPGA figures for the case. */
  readonly device: CaseFigures | undefined;
  /** One entry per GPU backend, in column order; figures undefined when that profile lacks the case. */
  readonly gpus: ReadonlyArray<{ readonly label: string; readonly figures: CaseFigures | undefined }>;
  /** The FPGA's physical bound for the case. */
  readonly bound?: CaseFigures | undefined;
  /** The FPGA's energy for the case, where the board describes it. */
  readonly energy?: { readonly joules: number; readonly tokensPerJoule: number } | undefined;
}

export interface CaseTable {
  readonly model: string;
  /** Column title of the FPGA, e.g. `VHK158 FPGA`. */
  readonly deviceLabel: string;
  readonly rows: readonly TableCase[];
  /** Add a column of physical bounds after the FPGA's. */
  readonly showBound?: boolean;
  /** Add rows of the FPGA's energy and tokens per joule (GPU profiles carry none). */
  readonly showEnergy?: boolean;
}

const LABEL_WIDTH = 24;
const CELL_WIDTH = 13;

const ROWS: ReadonlyArray<{ label: string; value: (figures: CaseFigures) => number }> = [
  { label: 'Prefill time (ms)', value: (f) => f.prefillMs },
  { label: 'Decode time (ms)', value: (f) => f.decodeMs },
  { label: 'Total time (ms)', value: (f) => f.totalMs },
  { label: 'Avg throughput (token/s)', value: (f) => f.tokensPerSecond },
];

const ENERGY_ROWS: ReadonlyArray<{ label: string; value: (energy: NonNullable<TableCase['energy']>) => string }> = [
  { label: 'Energy (J)', value: (e) => e.joules.toFixed(1) },
  { label: 'Efficiency (token/J)', value: (e) => e.tokensPerJoule.toFixed(3) },
];

/**
 * GPU cells sit three spaces in, the FPGA cell four, as in FlightLLM's print
 * statements; a number wider than seven characters takes from the leading
 * spaces so the columns stay aligned.
 */
const cell = (lead: number, trail: number) => (text: string) => `${' '.repeat(Math.max(1, lead - Math.max(0, text.length - 7)))}${text.padStart(7)}${' '.repeat(trail)}`;
const gpuCell = cell(3, 3);
const deviceCell = cell(4, 2);
const centred = (text: string, width = CELL_WIDTH) => {
  const left = Math.floor((width - text.length) / 2);
  return `${' '.repeat(Math.max(0, left))}${text}`.padEnd(width);
};
/** A GPU column is as wide as FlightLLM's, or its heading and a space either side where that is longer (`GPU-opt (H100-SXM)`). */
const columnWidth = (label: string) => Math.max(CELL_WIDTH, label.length + 2);
const widened = (text: string, width: number) => text.padStart(width - CELL_WIDTH + text.length);
const line = (label: string, cells: readonly string[]) => `| ${label.padEnd(LABEL_WIDTH)} |${cells.map((cell) => `${cell}|`).join('')}`;
const MISSING = '—';
const BOUND_LABEL = 'bound';

export function formatCaseTable(table: CaseTable): string {
  const out: string[] = [];
  let width = 0;
  const bound = table.showBound === true;
  for (const row of table.rows) {
    const header = line('Hardware', [...row.gpus.map((gpu) => centred(gpu.label, columnWidth(gpu.label))), centred(table.deviceLabel), ...(bound ? [centred(BOUND_LABEL)] : [])]);
    width = header.length;
    out.push(title(table.model, row.case, width), header);
    const fpga = row.device;
    const figure = (figures: CaseFigures | undefined, value: (f: CaseFigures) => number) => (figures === undefined ? MISSING : value(figures).toFixed(1));
    for (const { label, value } of ROWS) {
      const boundCells = bound ? [deviceCell(figure(row.bound, value))] : [];
      out.push(line(label, [...row.gpus.map((gpu) => widened(gpuCell(figure(gpu.figures, value)), columnWidth(gpu.label))), deviceCell(figure(fpga, value)), ...boundCells]));
    }
    if (table.showEnergy === true) {
      for (const { label, value } of ENERGY_ROWS) {
        const text = row.energy === undefined ? MISSING : value(row.energy);
        out.push(line(label, [...row.gpus.map((gpu) => widened(gpuCell(MISSING), columnWidth(gpu.label))), deviceCell(text), ...(bound ? [deviceCell('')] : [])]));
      }
    }
    const speedups = row.gpus.map((gpu) => widened(gpuCell(gpu.figures === undefined || fpga === undefined ? MISSING : (gpu.figures.totalMs / fpga.totalMs).toFixed(3)), columnWidth(gpu.label)));
    out.push(line(`${table.deviceLabel.replace(/ FPGA$/, '')} speedup ratio`, [...speedups, deviceCell(fpga === undefined ? MISSING : (1).toFixed(3)), ...(bound ? [deviceCell('')] : [])]));
  }
  out.push(`+${'-'.repeat(Math.max(width - 2, 0))}+`);
  return `${out.join('\n')}\n`;
}

function title(model: string, c: Case, width: number): string {
  const inner = `Case: ${model}, (Batch ${String(c.batch).padStart(1)}, Prefill ${String(c.prompt).padStart(3)}, Decode ${String(c.generated).padStart(4)})`;
  const dashes = Math.max(width - 2 - inner.length, 2);
  return `+${'-'.repeat(Math.floor(dashes / 2))}${inner}${'-'.repeat(Math.ceil(dashes / 2))}+`;
}
