import { UserError } from '../errors.js';
import { axisTitle, FIGURE_WIDTH, fixedFormat, styled, textColorOn, viridisAt, xLabelAngle, type VegaLiteSpec } from '../figures/index.js';
import { bestRow, paretoFront, rankable, withinConstraints, type Ranked } from './pareto.js';
import { tableObjectives, type Cell, type SweepTable, type TableRow } from './table.js';

/*
 * A sweep's figures as Vega-Lite specifications over plain data (rendered
 * by renderSvg, as the profile's figures are): the Pareto front of two
 * objectives among every point, and a heat map of one objective over a
 * two-axis slice of the sweep.
 */

const WIDTH = FIGURE_WIDTH;
const HEIGHT = 320;
export const FRONT = 'Pareto front';
export const DOMINATED = 'dominated';

/** The columns that say what a point ran: board, model, precision, case, swept keys. */
export function inputColumns(table: SweepTable): string[] {
  const names = table.manifest.columns.map((column) => column.name);
  return names.slice(names.indexOf('point') + 1, names.indexOf('status'));
}

/** `hbm.bandwidthGiBps=819.2 clock.frequencyMHz=225 …`: the swept inputs of a row, for tooltips. */
function describe(row: TableRow, columns: readonly string[]): string {
  return columns
    .filter((name) => row[name] !== '' && row[name] !== null)
    .map((name) => `${name}=${String(row[name])}`)
    .join(' ');
}

function objective(table: SweepTable, name: string): Ranked & { unit: string } {
  const found = tableObjectives(table).find((candidate) => candidate.name === name);
  if (found === undefined) throw new UserError({ what: `the sweep has no objective ${name}`, detail: `it reports ${table.manifest.spec.objectives.join(', ')}.` });
  return found;
}

/** `Decode throughput (token/s) ↑`: the objective's title with its unit, and an arrow saying which way is better. */
const title = (o: { name: string; unit: string; direction: string }) => `${axisTitle(o.name, o.unit)} ${o.direction === 'max' ? '↑' : '↓'}`;

/** Every point with both objectives, the front highlighted and joined by a line. Default: the spec's figures.pareto, else its first two objectives. */
export function paretoSpec(table: SweepTable, names?: readonly [string, string]): VegaLiteSpec {
  const [xName, yName] = names ?? table.manifest.spec.figures.pareto ?? [table.manifest.spec.objectives[0]!, table.manifest.spec.objectives[1] ?? table.manifest.spec.objectives[0]!];
  const [x, y] = [objective(table, xName), objective(table, yName)];
  const candidates = withinConstraints(table.rows, table.manifest.spec.constraints ?? {});
  const front = new Set(paretoFront(candidates, [x, y]));
  const columns = inputColumns(table);
  const values = rankable(candidates, [x, y]).map((row) => ({ point: row['point'], x: row[x.name], y: row[y.name], set: front.has(row) ? FRONT : DOMINATED, inputs: describe(row, columns) }));
  const encoding = {
    x: { field: 'x', type: 'quantitative', title: title(x), scale: { zero: false } },
    y: { field: 'y', type: 'quantitative', title: title(y), scale: { zero: false } },
  };
  return styled({
    title: { text: `${table.manifest.name}: Pareto front`, subtitle: [`${front.size} of ${values.length} points on the front; ↑ higher is better, ↓ lower`] },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [
      {
        transform: [{ filter: `datum.set === '${FRONT}'` }],
        mark: { type: 'line', color: '#d62728' },
        encoding: { ...encoding, order: { field: 'x', type: 'quantitative' } },
      },
      {
        mark: { type: 'point', filled: true, size: 40 },
        encoding: {
          ...encoding,
          color: { field: 'set', type: 'nominal', title: null, scale: { domain: [FRONT, DOMINATED], range: ['#d62728', '#9e9e9e'] } },
          tooltip: [
            { field: 'point', type: 'quantitative' },
            { field: 'set', type: 'nominal' },
            { field: 'x', type: 'quantitative', title: x.name },
            { field: 'y', type: 'quantitative', title: y.name },
            { field: 'inputs', type: 'nominal' },
          ],
        },
      },
    ],
  });
}

const lowerFirst = (text: string) => `${text.charAt(0).toLowerCase()}${text.slice(1)}`;

export interface HeatmapOptions {
  readonly x: string;
  readonly y: string;
  /** The objective coloured; default the spec's first. */
  readonly value?: string | undefined;
  /** The values the other input columns are held at; default those of the point best on `value`. */
  readonly where?: Readonly<Record<string, Cell>> | undefined;
}

/** Which rows a two-axis slice holds, and the values the other columns were held at. */
export function heatmapSlice(table: SweepTable, options: HeatmapOptions): { rows: TableRow[]; where: Record<string, Cell> } {
  const columns = inputColumns(table);
  for (const name of [options.x, options.y]) if (!columns.includes(name)) throw new UserError({ what: `the heat map's axis ${name} is not a column of the sweep`, detail: `its input columns are ${columns.join(', ')}.` });
  const held = columns.filter((name) => name !== options.x && name !== options.y);
  const best = bestRow(withinConstraints(table.rows, table.manifest.spec.constraints ?? {}), objective(table, options.value ?? table.manifest.spec.objectives[0]!));
  const where: Record<string, Cell> = Object.fromEntries(held.map((name) => [name, options.where?.[name] ?? best?.[name] ?? table.rows[0]?.[name] ?? null]));
  return { rows: table.rows.filter((row) => held.every((name) => row[name] === where[name])), where };
}

/** One objective over two input columns, the others held (see heatmapSlice); a failed point leaves its cell empty; the better end of the scale is bright either way. */
export function heatmapSpec(table: SweepTable, options: HeatmapOptions): VegaLiteSpec {
  const value = objective(table, options.value ?? table.manifest.spec.objectives[0]!);
  const { rows, where } = heatmapSlice(table, options);
  const numbers = rows.map((row) => row[value.name]).filter((cell): cell is number => typeof cell === 'number');
  const [low, high] = [Math.min(...numbers), Math.max(...numbers)];
  // The cell's place on the colour scale (bright is better either way), hence its fill, hence a text colour that reads on it.
  const shade = (v: number) => {
    const t = high === low ? 1 : (v - low) / (high - low);
    return textColorOn(viridisAt(value.direction === 'min' ? 1 - t : t));
  };
  const values = rows.filter((row) => typeof row[value.name] === 'number').map((row) => ({ point: row['point'], x: row[options.x], y: row[options.y], value: row[value.name], textColor: shade(row[value.name] as number) }));
  const held = Object.entries(where).filter(([, cell]) => cell !== '' && cell !== null);
  const xLabels = [...new Set(values.map((v) => String(v.x)))];
  return styled({
    title: {
      text: `${table.manifest.name}: ${lowerFirst(axisTitle(value.name, value.unit))}`,
      subtitle: [`${values.length} of ${rows.length} points with a value`, ...(held.length === 0 ? [] : [`at ${held.map(([name, cell]) => `${name}=${String(cell)}`).join(', ')}`])],
    },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    encoding: {
      x: { field: 'x', type: 'ordinal', title: axisTitle(options.x), sort: 'ascending', axis: { labelAngle: xLabelAngle(xLabels, WIDTH) } },
      y: { field: 'y', type: 'ordinal', title: axisTitle(options.y), sort: 'descending' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'value', type: 'quantitative', title: axisTitle(value.name, value.unit), legend: { titleLimit: 400, format: fixedFormat(numbers), direction: 'vertical' }, scale: { scheme: 'viridis', reverse: value.direction === 'min', domain: [low, high] } },
          tooltip: [
            { field: 'point', type: 'quantitative' },
            { field: 'x', type: 'nominal', title: options.x },
            { field: 'y', type: 'nominal', title: options.y },
            { field: 'value', type: 'quantitative', title: value.name },
          ],
        },
      },
      // One text layer per text colour: a colour channel here would share the cells' colour scale and legend.
      ...(['black', 'white'] as const).map((ink) => ({
        transform: [{ filter: `datum.textColor === '${ink}'` }],
        mark: { type: 'text', fontSize: 11, color: ink },
        encoding: { text: { field: 'value', type: 'quantitative', format: fixedFormat(numbers) } },
      })),
    ],
  });
}

/** The heat map the spec asks for, else one over its first two numeric swept columns; undefined when fewer than two columns vary. */
export function defaultHeatmap(table: SweepTable): HeatmapOptions | undefined {
  const asked = table.manifest.spec.figures.heatmap;
  if (asked !== undefined) return asked;
  const varying = inputColumns(table).filter((name) => new Set(table.rows.map((row) => row[name])).size > 1);
  const numeric = varying.filter((name) => table.manifest.columns.find((column) => column.name === name)?.type === 'double');
  const [x, y] = numeric.length >= 2 ? numeric : varying;
  return x === undefined || y === undefined ? undefined : { x, y };
}
