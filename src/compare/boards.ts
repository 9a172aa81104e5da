import Table from 'cli-table3';
import { compileTarget, modelOnBoard, type BoardCalibration, type Hardware } from '../backends/index.js';
import { dtypeBits } from '../dtype.js';
import { UserError } from '../errors.js';
import type { Model, Precision } from '../model/index.js';
import { describeLayout, isMultiCard, SINGLE_CARD, totalCards, type ParallelLayout, type ParallelOptions } from '../parallel/index.js';
import { profileCases, profileParallelCases, type Case, type CaseResult } from '../profiler/index.js';
import { serve, type ReplicaRouter, type RouterName } from '../serving/index.js';
import type { ContentCache } from '../util/cache.js';

/*
 * One table for FPGAs, GPUs and ASICs: every model on every board, one
 * request at its batch and a served workload at a fixed concurrency, each
 * figure beside its physical bound, with tokens per joule and per dollar
 * where the board's file describes energy and a price.
 */

/** The served workload's figures. */
export interface ServedFigures {
  readonly outputTokensPerSecond: number;
  /** Output tokens per second were every step at its bound. */
  readonly boundTokensPerSecond: number;
  readonly tokensPerJoule: number | null;
  readonly tokensPerDollar: number | null;
  readonly meanPowerWatts: number | null;
}

export interface BoardRow {
  readonly hardware: string;
  readonly kind: Hardware['kind'];
  readonly model: string;
  readonly precision: string;
  readonly result: CaseResult | undefined;
  readonly served: ServedFigures | undefined;
  /** Why the model could not run there (it does not fit, a precision the board lacks). */
  readonly refused: string | undefined;
  /** The measurements that calibrated the board and its error on them (its file's `calibratedOn`); empty where none did. */
  readonly calibration: BoardCalibration;
}

export interface BoardsComparisonOptions {
  readonly boards: readonly Hardware[];
  readonly models: readonly Model[];
  /** The request, run at its batch; and, with `concurrency`, served with the same lengths. */
  readonly case: Case;
  /** Clients of the served workload (twice as many requests); none: no served workload. */
  readonly concurrency?: number | undefined;
  readonly threads?: number | undefined;
  /** The cards each board runs the model on; default one. */
  readonly parallel?: ParallelOptions | undefined;
  /** With replicas: how the served requests are spread over them. */
  readonly router?: RouterName | ReplicaRouter | undefined;
  /** Where step-cost tables persist between runs. */
  readonly cache?: ContentCache | undefined;
  readonly onRow?: ((done: number, total: number, row: BoardRow) => void) | undefined;
}

/**
 * Every model on every board: the case at its batch beside its bound, and a
 * served workload at a fixed concurrency. Each board runs the model at the
 * model's precision, or at the board's default where it refuses that one
 * (a GPU given FlightLLM's int8 mapping runs FP16). A pair the board cannot
 * run is a row with the reason, not an error.
 */
export async function compareBoards(options: BoardsComparisonOptions): Promise<BoardRow[]> {
  const { boards, models } = options;
  const c = options.case;
  const parallel = options.parallel ?? { layout: SINGLE_CARD };
  const rows: BoardRow[] = [];
  for (const hardware of boards) {
    for (const given of models) {
      const model = modelOnBoard(given, hardware).model;
      const row = { hardware: boardName(hardware, parallel.layout), kind: hardware.kind, model: model.displayName ?? model.name, precision: streamedPrecision(model.mapping.precision, hardware), calibration: calibrationOf(hardware) };
      try {
        const result = isMultiCard(parallel.layout)
          ? profileParallelCases({ ...parallel, hardware, model, cases: [c], cache: options.cache })
          : await profileCases({ hardware, cases: [c], source: { kind: 'model', model }, threads: options.threads });
        const served = options.concurrency === undefined ? undefined : servedFigures({ hardware, model, c, concurrency: options.concurrency, cache: options.cache, parallel, router: options.router });
        rows.push({ ...row, result: result.cases[0], served, refused: undefined });
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        rows.push({ ...row, result: undefined, served: undefined, refused: error.message });
      }
      options.onRow?.(rows.length, boards.length * models.length, rows.at(-1)!);
    }
  }
  return rows;
}

/** A board's `calibratedOn`, where its kind describes one. */
function calibrationOf(hardware: Hardware): BoardCalibration {
  return 'calibratedOn' in hardware ? (hardware.calibratedOn ?? []) : [];
}

/** `power 1.2 / 2.1 % (4)`: what was fitted, its median and worst error, and on how many measurements; `none` where nothing was. */
export function calibrationCell(calibration: BoardCalibration): string {
  if (calibration.length === 0) return 'none';
  return calibration.map((c) => `${c.what.split(' ')[0]} ${(c.medianAbsError * 100).toFixed(1)} / ${(c.worstAbsError * 100).toFixed(1)} % (${c.points})`).join('; ');
}

/** `u280`, or `u280 × 2` where the model runs on several cards. */
function boardName(hardware: Hardware, layout: ParallelLayout): string {
  return totalCards(layout) > 1 ? `${hardware.name} × ${totalCards(layout)}` : hardware.name;
}

/** Twice `concurrency` requests of the case's lengths, sent at once, at most `concurrency` in flight. */
function servedFigures(run: { hardware: Hardware; model: Model; c: Case; concurrency: number; cache: ContentCache | undefined; parallel: ParallelOptions; router: RouterName | ReplicaRouter | undefined }): ServedFigures {
  const workload = { datasetName: 'random' as const, numPrompts: 2 * run.concurrency, randomInputLen: run.c.prompt, randomOutputLen: run.c.generated, randomRangeRatio: 0, seed: 0 };
  const { result } = serve({ hardware: run.hardware, model: run.model, workload, maxConcurrency: run.concurrency, cache: run.cache, parallel: run.parallel, router: run.router });
  const outputTokens = result.total_output_tokens;
  return {
    outputTokensPerSecond: result.output_throughput,
    // Replicas run side by side: their bounds, summed, take a replica's share of the time each.
    boundTokensPerSecond: outputTokens / (result.bound_ms / run.parallel.layout.dataParallelSize / 1000),
    tokensPerJoule: result.output_tokens_per_joule,
    tokensPerDollar: result.output_tokens_per_dollar,
    meanPowerWatts: result.mean_power_watts,
  };
}

/** What a precision amounts to on a board: `W4A8` for FlightLLM's int8-labelled 4-bit weights, `W8A8, KV16`, … */
function streamedPrecision(precision: Precision, hw: Hardware): string {
  const weightBits = precision.weightBits ?? compileTarget(hw).weightBits(precision.weights);
  const activationBits = dtypeBits(precision.activations);
  const kvBits = dtypeBits(precision.kvCache);
  const name = precision.preset === 'flightllm' ? '' : ` ${precision.preset}`;
  return `W${weightBits}A${activationBits}${kvBits === activationBits ? '' : `, KV${kvBits}`}${name}`;
}

const fixed = (value: number | null | undefined, digits: number) => (value === null || value === undefined ? '—' : value.toFixed(digits));
const thousands = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${(value / 1000).toFixed(0)}k`);

/** The boards table: one row per pair, each figure beside its bound, refusals listed under it. */
export function boardsTable(rows: readonly BoardRow[], options: { case: string; concurrency?: number | undefined; layout?: ParallelLayout | undefined }): string {
  const serving = options.concurrency !== undefined;
  const head = ['board', 'model', 'precision', 'fit error (median / worst)', 'prefill ms', 'bound', 'token/s', 'bound', 'token/J', 'token/$'];
  if (serving) head.push(`served token/s`, 'bound', 'token/J', 'token/$', 'W');
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  const notes: string[] = [];
  for (const row of rows) {
    const r = row.result;
    if (r === undefined) {
      notes.push(`${row.hardware} × ${row.model}: ${row.refused}`);
      t.push([row.hardware, row.model, row.precision, calibrationCell(row.calibration), 'refused', ...head.slice(5).map(() => '')]);
      continue;
    }
    const cells = [row.hardware, row.model, row.precision, calibrationCell(row.calibration), fixed(r.device.prefillMs, 1), fixed(r.bound.prefillMs, 1), fixed(r.device.tokensPerSecond, 2), fixed(r.bound.tokensPerSecond, 2), fixed(r.energy?.tokensPerJoule, 3), thousands(r.energy?.tokensPerDollar)];
    if (serving) {
      const s = row.served;
      cells.push(fixed(s?.outputTokensPerSecond, 1), fixed(s?.boundTokensPerSecond, 1), fixed(s?.tokensPerJoule, 3), thousands(s?.tokensPerDollar), fixed(s?.meanPowerWatts, 0));
    }
    t.push(cells);
  }
  const served = serving ? `; served: ${2 * options.concurrency!} requests of the same lengths, ${options.concurrency} at a time` : '';
  const cards = options.layout !== undefined && totalCards(options.layout) > 1 ? ` On ${describeLayout(options.layout)} of each board.` : '';
  const legend = `Case ${options.case} (batch x prompt x generated)${served}.${cards} fit error: what the board's file was calibrated on (calibratedOn:), its median and worst error there and on how many measurements; bound: the physical bound of the figure beside it; token/$: tokens an hour of the board buys per dollar of its price`;
  return `${legend}\n${t.toString()}\n${notes.map((note) => `${note}\n`).join('')}`;
}
