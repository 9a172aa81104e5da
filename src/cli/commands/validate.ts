import Table from 'cli-table3';
import { Option, type Command } from 'commander';
import { renderSvg } from '../../profiler/index.js';
import { writeFileAtomic } from '../../util/files.js';
import { UsageError } from '../../errors.js';
import { baselineOf, compareWithBaseline, fitPower, fitStack, loadBaseline, paritySpec, validate, type ErrorSummary, type ValidationReport } from '../../validate/index.js';
import { EXIT_INTERNAL_ERROR, EXIT_OK, type CliIo } from '../io.js';
import { packageFile } from '../fpga-run.js';
import { cliCache } from '../options.js';
import { Progress } from '../progress.js';

/*
 * `validate`: every published measurement the simulator can run, simulated
 * and compared (src/validate/). Prints each point, then the error per group,
 * over every GPU point, and over fitted and held-out points; lists the rows
 * skipped with their reasons. With --baseline it fails (exit 1) when the
 * median error over the GPU points is above the recorded one.
 */

interface ValidateOptions {
  measurements: string[];
  filter?: string;
  json?: boolean;
  figure?: string;
  baseline?: string;
  recordBaseline?: string;
  fitStack?: string;
  fit?: string;
  fitPower?: string;
  cache: boolean;
}

const DEFAULT_FILES = ['validation/measurements.csv', 'validation/multicard-moe.csv'];

export function addOptions(command: Command): Command {
  return command
    .addOption(new Option('--measurements <files...>', 'measurement CSVs (validation/SOURCES.md describes the columns)').default(DEFAULT_FILES.map((file) => packageFile(file)), DEFAULT_FILES.join(' ')))
    .option('--filter <text>', 'only rows whose id or group contains this text')
    .option('--figure <file>', 'write the parity figure (simulated against measured, log–log, ±10 % band) as SVG')
    .option('--baseline <file>', 'fail (exit 1) if the median error over the GPU points is above this recorded baseline, or fewer points ran')
    .option('--record-baseline <file>', "write this run's GPU error as the baseline")
    .option('--fit-stack <name>', "instead of validating, fit a software stack's parameters (--fit) to its fitted rows (src/validate/split.ts) and print the fit")
    .option('--fit-power <board>', "instead of validating, fit a board's energy per byte and per multiply-accumulate to its fitted power rows and print the fit")
    .option('--fit <keys>', 'with --fit-stack: comma-separated keys to fit, e.g. kernelLaunchUs,stack.stepUs,efficiency.linear.memory')
    .option('--no-cache', 'keep no step-cost tables between runs')
    .option('--json', 'print one JSON document instead of the tables');
}

export async function run(options: ValidateOptions, io: CliIo): Promise<number> {
  if (options.fitStack !== undefined) return printStackFit(options, io);
  if (options.fitPower !== undefined) return printPowerFit(options, io);
  const progress = new Progress('validate', io.stderr);
  const started = performance.now();
  const report = validate({ files: options.measurements, filter: options.filter, cache: cliCache(options.cache, io), onCase: (done, total, label) => progress.update(done, total, label) });
  progress.finish(`${report.points.length} points simulated, ${report.skipped.length + report.refused.length} rows skipped, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (options.figure !== undefined) writeFileAtomic(options.figure, await renderSvg(paritySpec(report.points)));
  if (options.recordBaseline !== undefined) writeFileAtomic(options.recordBaseline, `${JSON.stringify(baselineOf(report.summary.gpu, 'npm run validate'), null, 2)}\n`);
  const problems = options.baseline === undefined ? [] : compareWithBaseline(report.summary.gpu, loadBaseline(options.baseline));
  io.stdout.write(options.json === true ? `${JSON.stringify(jsonOf(report, problems), null, 2)}\n` : tables(report, problems));
  return problems.length === 0 ? EXIT_OK : EXIT_INTERNAL_ERROR;
}

function jsonOf(report: ValidationReport, problems: readonly string[]): unknown {
  return {
    summary: report.summary,
    fitRules: report.fitRules,
    points: report.points.map((p) => ({ id: p.case.row.id, group: p.case.row.group, board: p.case.board, stack: p.case.stack ?? null, model: p.case.model, metric: p.case.row.metric, unit: p.case.row.unit, measured: p.measured, simulated: p.simulated, error: p.error, bound: p.bound ?? null, beyondBound: p.beyondBound, fit: p.case.fit, assumptions: p.case.assumptions })),
    skipped: [...report.skipped.map((s) => ({ id: s.row.id, file: s.row.file, line: s.row.line, reason: s.reason })), ...report.refused.map((r) => ({ id: r.case.row.id, file: r.case.row.file, line: r.case.row.line, reason: `the simulator refuses it: ${r.reason}` }))],
    contradictions: report.contradictions.map((c) => ({ more: c.more.row.id, less: c.less.row.id, measuredMore: c.more.row.value, measuredLess: c.less.row.value, unit: c.more.row.unit, floorAbsError: c.floorAbsError })),
    baseline: problems,
  };
}

const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;
const plain = (value: number) => `${(value * 100).toFixed(1)} %`;
const figure = (value: number) => (value >= 100 ? value.toFixed(1) : value >= 1 ? value.toFixed(3) : value.toPrecision(4));

function tables(report: ValidationReport, problems: readonly string[]): string {
  const compact = { head: [], border: [] as string[], compact: true };
  const points = new Table({ head: ['id', 'board', 'stack', 'metric', 'measured', 'simulated', 'error', 'fit'], style: compact });
  for (const p of report.points) points.push([p.case.row.id, p.case.board, p.case.stack ?? '', `${p.case.row.metric} (${p.case.row.unit})`, figure(p.measured), figure(p.simulated), percent(p.error), p.case.fit ? 'fit' : '']);
  const groups = new Table({ head: ['group', 'points', 'median |error|', 'worst |error|', 'worst point'], style: compact });
  for (const g of report.summary.byGroup) groups.push(summaryRow(g.group, g));
  const s = report.summary;
  groups.push(summaryRow('GPU points, all', s.gpu), summaryRow('GPU points, fitted', s.gpuFit), summaryRow('GPU points, held out', s.gpuHeldOut), summaryRow('every point', s.all));
  const lines = [
    points.toString(),
    groups.toString(),
    `GPU boards: ${s.gpuBoards.join(', ')}.`,
    `Fitted rows (all others are held out):\n${report.fitRules.map((rule) => `  - ${rule}`).join('\n')}`,
    beyondBoundList(report),
    contradictionList(report),
    skippedList(report),
    ...problems.map((problem) => `validate: worse than the baseline: ${problem}.`),
  ];
  return `${lines.filter((line) => line !== '').join('\n')}\n`;
}

function summaryRow(label: string, e: ErrorSummary): string[] {
  return [label, String(e.points), plain(e.medianAbsError), plain(e.worstAbsError), e.worstId ?? ''];
}

/** Points measured better than the physical bound of their simulated schedule: the row or its stated setup is suspect. */
function beyondBoundList(report: ValidationReport): string {
  const beyond = report.points.filter((p) => p.beyondBound);
  if (beyond.length === 0) return '';
  const entries = beyond.map((p) => `  ${p.case.row.id}: measured ${figure(p.measured)} ${p.case.row.unit}, bound ${figure(p.bound!)} (${percent((p.measured - p.bound!) / p.bound!)} beyond)`);
  return `Measured beyond the physical bound of the simulated schedule (each step at its bytes over peak bandwidth or operations over peak compute; no simulation within the board's data-sheet peaks can reach them; counted in the errors above):\n${entries.join('\n')}`;
}

/** Pairs of rows where more work was measured faster: at least one of each pair cannot be matched. */
function contradictionList(report: ValidationReport): string {
  if (report.contradictions.length === 0) return '';
  const entries = report.contradictions.map((c) => `  ${c.more.row.id} (${figure(c.more.row.value)} ${c.more.row.unit}) is measured faster than ${c.less.row.id} (${figure(c.less.row.value)} ${c.less.row.unit}) with as much work or more: one of the two is at least ${plain(c.floorAbsError)} off`);
  return `Measurements that contradict each other (more requests, or longer prompts or outputs, on the same setup, measured faster; no simulator whose time never falls as work grows matches both; counted in the errors above):\n${entries.join('\n')}`;
}

/** Skipped rows by reason: how many, and which. */
function skippedList(report: ValidationReport): string {
  const byReason = new Map<string, string[]>();
  for (const s of report.skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.row.id]);
  for (const r of report.refused) byReason.set(`the simulator refuses it: ${r.reason}`, [...(byReason.get(`the simulator refuses it: ${r.reason}`) ?? []), r.case.row.id]);
  const total = report.skipped.length + report.refused.length;
  if (total === 0) return '';
  const entries = [...byReason].sort((a, b) => b[1].length - a[1].length).map(([reason, ids]) => `  ${ids.length} × ${reason}: ${ids.join(', ')}`);
  return `Skipped ${total} rows:\n${entries.join('\n')}`;
}

/** `--fit-stack`: the stack's parameters fitted to its rows, each row before and after. */
function printStackFit(options: ValidateOptions, io: CliIo): number {
  if (options.fit === undefined) throw new UsageError({ what: '--fit-stack needs --fit <keys>' });
  const started = performance.now();
  const { calibration, leftOut } = fitStack({ files: options.measurements, stack: options.fitStack!, keys: options.fit.split(',').map((key) => key.trim()), cache: cliCache(options.cache, io) });
  io.stderr.write(`fpga-llm-sim: fitted ${Object.keys(calibration.values).length} parameters to ${calibration.observations.length} rows in ${((performance.now() - started) / 1000).toFixed(1)} s (${calibration.iterations} iterations)\n`);
  if (leftOut.length > 0) io.stderr.write(`fpga-llm-sim: ${leftOut.length} fitted rows in pipeline stages left out (the fit costs a tensor-parallel card's kernels and collectives, not a pipeline's schedule): ${leftOut.join(', ')}\n`);
  const table = new Table({ head: ['row', 'measured ms', 'before ms', 'fitted ms', 'error'], style: { head: [], border: [], compact: true } });
  for (const o of calibration.observations) table.push([o.label, o.measuredMs.toFixed(1), o.beforeMs.toFixed(1), o.afterMs.toFixed(1), percent(o.relativeError)]);
  const values = Object.entries(calibration.values).map(([key, value]) => `  ${key}: ${value.toPrecision(4)}`);
  io.stdout.write(`${options.fitStack}, fitted:\n${values.join('\n')}\nRMS relative error ${plain(calibration.rmsBefore)} before, ${plain(calibration.rmsAfter)} after\n${table.toString()}\n`);
  return EXIT_OK;
}

/** `--fit-power`: the board's energy coefficients fitted to its power rows, each row before and after. */
function printPowerFit(options: ValidateOptions, io: CliIo): number {
  const fit = fitPower({ files: options.measurements, board: options.fitPower!, cache: cliCache(options.cache, io) });
  const table = new Table({ head: ['row', 'measured W', 'before W', 'fitted W', 'error'], style: { head: [], border: [], compact: true } });
  for (const r of fit.rows) table.push([r.id, r.measuredW.toFixed(1), r.beforeW.toFixed(1), r.afterW.toFixed(1), percent((r.afterW - r.measuredW) / r.measuredW)]);
  const values = [`energy.dynamic.memoryPjPerByte: ${fit.memoryPjPerByte.toPrecision(4)}`, `energy.dynamic.kvCachePjPerByte: ${fit.kvCachePjPerByte.toPrecision(4)}`, `energy.dynamic.macPj: ${fit.macScale.toPrecision(4)} × the board's`];
  io.stdout.write(`${options.fitPower}, fitted:\n${values.map((v) => `  ${v}`).join('\n')}\n${table.toString()}\n`);
  return EXIT_OK;
}
