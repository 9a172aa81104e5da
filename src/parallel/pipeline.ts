import type { BatchShape } from '../batch.js';

/*
 * A pipeline of stages over micro-batches: the step's sequences are split
 * into micro-batches, each runs through the stages in order, and a stage
 * takes the next micro-batch as soon as it is free and that micro-batch has
 * arrived from the stage before. The time beyond the busiest stage's own
 * work is the pipeline's bubble: (stages − 1) micro-batch times when the
 * stages are alike.
 */

/** The step's sequences in `count` consecutive micro-batches of nearly equal size (never an empty one). */
export function splitMicroBatches(batch: BatchShape, count: number): BatchShape[] {
  const n = batch.sequences.length;
  const parts = Math.max(1, Math.min(count, n));
  const out: BatchShape[] = [];
  let first = 0;
  for (let part = 0; part < parts; part++) {
    const size = Math.floor(n / parts) + (part < n % parts ? 1 : 0);
    out.push({ sequences: batch.sequences.slice(first, first + size) });
    first += size;
  }
  return out;
}

export interface PipelineTimes {
  /** Each stage's time for each micro-batch, ms: `stageMs[stage][micro]`. */
  readonly stageMs: ReadonlyArray<readonly number[]>;
  /** Handing a micro-batch from one stage to the next, ms, per micro-batch. */
  readonly handoffMs: readonly number[];
}

export interface PipelineSchedule {
  /** When the last stage finishes the last micro-batch, ms. */
  readonly totalMs: number;
  /** The stage with the most work, and that work, ms. */
  readonly busiestStage: number;
  readonly busiestMs: number;
  /** Time beyond the busiest stage's work: waiting for the pipeline to fill and drain. */
  readonly bubbleMs: number;
}

/** When every stage finishes every micro-batch, in order (a forward-only pipeline). */
export function schedulePipeline(times: PipelineTimes): PipelineSchedule {
  const stages = times.stageMs.length;
  const micro = times.stageMs[0]?.length ?? 0;
  let previous = new Array<number>(micro).fill(0);
  for (let stage = 0; stage < stages; stage++) {
    const finish: number[] = [];
    for (let j = 0; j < micro; j++) {
      const arrives = stage === 0 ? 0 : previous[j]! + times.handoffMs[j]!;
      const free = j === 0 ? 0 : finish[j - 1]!;
      finish.push(Math.max(arrives, free) + times.stageMs[stage]![j]!);
    }
    previous = finish;
  }
  const totalMs = previous[micro - 1] ?? 0;
  const work = times.stageMs.map((row) => row.reduce((sum, ms) => sum + ms, 0));
  const busiestMs = Math.max(...work);
  return { totalMs, busiestStage: work.indexOf(busiestMs), busiestMs, bubbleMs: totalMs - busiestMs };
}
