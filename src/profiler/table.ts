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

/** FlightLLM's widths; a longer label or column title widens its column (an A100 80GB SXM's speedup row, a long backend name). */
const LABEL_WIDTH = 24;
const CELL_WIDTH = 13;

interface Widths {
  readonly label: number;
  readonly cell: number;
}

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
const cell = (lead: number, trail: number) => (text: string, width: number) => `${' '.repeat(width - CELL_WIDTH + Math.max(1, lead - Math.max(0, text.length - 7)))}${text.padStart(7)}${' '.repeat(trail)}`;
const gpuCell = cell(3, 3);
const deviceCell = cell(4, 2);
const centred = (text: string, width: number) => {
  const left = Math.floor((width - text.length) / 2);
  return `${' '.repeat(Math.max(0, left))}${text}`.padEnd(width);
};
const line = (label: string, cells: readonly string[], widths: Widths) => `| ${label.padEnd(widths.label)} |${cells.map((cell) => `${cell}|`).join('')}`;

/** Column widths that hold every label and column title with a space either side. */
function widthsOf(table: CaseTable): Widths {
  const labels = [...ROWS.map((row) => row.label), ...(table.showEnergy === true ? ENERGY_ROWS.map((row) => row.label) : []), speedupLabel(table)];
  const titles = [...new Set(table.rows.flatMap((row) => row.gpus.map((gpu) => gpu.label))), table.deviceLabel, BOUND_LABEL];
  return { label: Math.max(LABEL_WIDTH, ...labels.map((label) => label.length)), cell: Math.max(CELL_WIDTH, ...titles.map((title) => title.length + 2)) };
}

const speedupLabel = (table: CaseTable) => `${table.deviceLabel.replace(/ FPGA$/, '')} speedup ratio`;
const MISSING = '—';
const BOUND_LABEL = 'bound';

export function formatCaseTable(table: CaseTable): string {
  const out: string[] = [];
  let width = 0;
  const bound = table.showBound === true;
  const widths = widthsOf(table);
  const [gpu, ours] = [(text: string) => gpuCell(text, widths.cell), (text: string) => deviceCell(text, widths.cell)];
  for (const row of table.rows) {
    const header = line('Hardware', [...row.gpus.map((g) => centred(g.label, widths.cell)), centred(table.deviceLabel, widths.cell), ...(bound ? [centred(BOUND_LABEL, widths.cell)] : [])], widths);
    width = header.length;
    out.push(title(table.model, row.case, width), header);
    const fpga = row.device;
    const figure = (figures: CaseFigures | undefined, value: (f: CaseFigures) => number) => (figures === undefined ? MISSING : value(figures).toFixed(1));
    for (const { label, value } of ROWS) {
      const boundCells = bound ? [ours(figure(row.bound, value))] : [];
      out.push(line(label, [...row.gpus.map((g) => gpu(figure(g.figures, value))), ours(figure(fpga, value)), ...boundCells], widths));
    }
    if (table.showEnergy === true) {
      for (const { label, value } of ENERGY_ROWS) {
        const text = row.energy === undefined ? MISSING : value(row.energy);
        out.push(line(label, [...row.gpus.map(() => gpu(MISSING)), ours(text), ...(bound ? [ours('')] : [])], widths));
      }
    }
    const speedups = row.gpus.map((g) => gpu(g.figures === undefined || fpga === undefined ? MISSING : (g.figures.totalMs / fpga.totalMs).toFixed(3)));
    out.push(line(speedupLabel(table), [...speedups, ours(fpga === undefined ? MISSING : (1).toFixed(3)), ...(bound ? [ours('')] : [])], widths));
  }
  out.push(`+${'-'.repeat(Math.max(width - 2, 0))}+`);
  return `${out.join('\n')}\n`;
}

function title(model: string, c: Case, width: number): string {
  const inner = `Case: ${model}, (Batch ${String(c.batch).padStart(1)}, Prefill ${String(c.prompt).padStart(3)}, Decode ${String(c.generated).padStart(4)})`;
  const dashes = Math.max(width - 2 - inner.length, 2);
  return `+${'-'.repeat(Math.floor(dashes / 2))}${inner}${'-'.repeat(Math.ceil(dashes / 2))}+`;
}
