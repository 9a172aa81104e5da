import Table from 'cli-table3';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { casesFromOption, sensitivity, type Sensitivity } from '../../profiler/index.js';
import { fpgaSource, withFpgaOptions, type FpgaOptions } from '../fpga-run.js';
import { deviceLabel } from '../../backends/index.js';
import { loadHardware, requireFit } from '../../backends/index.js';
import { cliCache } from '../options.js';
import type { CliIo } from '../io.js';
import { Progress } from '../progress.js';

interface SensitivityCliOptions extends FpgaOptions {
  case: string;
  keys?: string;
  step: number;
  json?: boolean;
}

export function addOptions(command: Command): Command {
  return withFpgaOptions(
    command
      .option('--case <case>', 'one case, batch x prompt x generated', '1x128x512')
      .option('--keys <list>', 'comma-separated dotted hardware keys to vary (default: the continuous parameters of the hardware kind)')
      .option('--step <fraction>', 'relative change of each parameter', relativeStep, -0.1)
      .option('--json', 'print one JSON document instead of the table'),
  );
}

export async function run(options: SensitivityCliOptions, io: CliIo): Promise<void> {
  const cases = casesFromOption(options.case);
  if (cases.length !== 1) throw new UsageError({ what: `--case takes one case, got ${cases.length}` });
  // The board decides the precision a model falls back to where it refuses the model's own.
  const hardware = loadHardware(options.hardware, { cache: cliCache(true, io), overrides: options.set, stack: options.stack });
  // The board as configured must fit its device; the perturbed variants are what-ifs around it and are not checked.
  if (options.fitCheck !== false) requireFit(hardware);
  const { source, label } = fpgaSource(options, io.stderr, hardware);
  const progress = new Progress('sensitivity', io.stderr);
  const result = await sensitivity({
    hardwarePath: options.hardware,
    stack: options.stack,
    overrides: options.set,
    keys: options.keys?.split(',').map((key) => key.trim()),
    step: options.step,
    case: cases[0]!,
    source,
    exact: options.exact,
    threads: options.jobs,
    onVariant: (done, total) => progress.update(done, total, 'parameters varied'),
  });
  progress.finish(`${result.rows.length} parameters varied by ${(options.step * 100).toFixed(0)} %`);
  const json = { model: label, hardware: result.hardware.name, case: cases[0], step: options.step, base: result.base, rows: result.rows };
  io.stdout.write(options.json === true ? `${JSON.stringify(json, null, 2)}\n` : table(result, `${label} on ${deviceLabel(result.hardware)}, case ${options.case}`));
}

function relativeStep(value: string): number {
  const step = Number(value);
  if (!Number.isFinite(step) || step === 0 || step <= -1) throw new InvalidArgumentError(`expected a relative change such as -0.1 or 0.05 (not 0, above -1), got "${value}".`);
  return step;
}

function table(result: Sensitivity, title: string): string {
  const t = new Table({ head: ['parameter', 'value', 'varied to', 'decode token/s', 'decode elasticity', 'prefill ms', 'prefill elasticity'], style: { head: [], border: [], compact: true } });
  t.push(['(as configured)', '', '', result.base.tokensPerSecond.toFixed(2), '', result.base.prefillMs.toFixed(1), '']);
  for (const row of result.rows) {
    t.push([row.key, format(row.from), format(row.to), row.figures.tokensPerSecond.toFixed(2), row.decodeElasticity.toFixed(2), row.figures.prefillMs.toFixed(1), row.prefillElasticity.toFixed(2)]);
  }
  return `${title}\n${t.toString()}\nElasticity: relative change of the result per relative change of the parameter (1: proportional, 0: no effect).\n`;
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
