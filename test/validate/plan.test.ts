import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { availableHere, FIT_RULES, loadMeasurements, planValidation, splitOf, type Measurement } from '../../src/validate/index.js';
import { ROOT, testCache } from '../helpers.js';

/*
 * Every published row is either simulated or skipped with its reason, never
 * dropped; rows are planned as their benchmarks ran (validation/SOURCES.md).
 */

const available = availableHere(testCache());
const rows = ['measurements.csv', 'multicard-moe.csv'].flatMap((file) => loadMeasurements(join(ROOT, 'validation', file)));
const { cases, skipped } = planValidation(rows, available, splitOf);
const planned = (id: string) => cases.find((c) => c.row.id === id);
const reason = (id: string) => skipped.find((s) => s.row.id === id)?.reason;

describe('planning the published rows', () => {
  test('every row is simulated or skipped with a reason, none twice, none silently', () => {
    assert.equal(cases.length + skipped.length, rows.length);
    assert.equal(new Set([...cases.map((c) => c.row.id), ...skipped.map((s) => s.row.id)]).size, rows.length);
    for (const s of skipped) assert.ok(s.reason.length > 10, `${s.row.id}: "${s.reason}"`);
  });

  test('at least 40 GPU rows on at least three GPU types are simulated', () => {
    const gpu = cases.filter((c) => available.gpuBoards.has(c.board));
    assert.ok(gpu.length >= 40, `${gpu.length} GPU rows`);
    const types = new Set(gpu.map((c) => c.board.split('-')[0]));
    assert.ok(types.size >= 3, [...types].join(', '));
  });

  test('what the simulator cannot run yet is skipped with the reason', () => {
    assert.match(reason('mc119')!, /expert- or data-parallel over 72 cards/);
    assert.match(reason('flightllm-sim-vhk158-l2-7b-b1-128-512-e2e')!, /simulated by FlightLLM's profiler, not measured/);
    assert.match(reason('argonne-h100-tens-l2-7b-b1-1024-1024-power')!, /may sum every GPU of the node/);
    assert.match(reason('argonne-h100-vllm-l2-7b-b1-1024-1024-tput')!, /the same run as the row's e2e latency/);
    assert.match(reason('argonne-a100-tens-l2-7b-tp1-b1-128-128-e2e')!, /no board file for a100-sxm/);
    assert.match(reason('argonne-gh200-vllm-l2-7b-tp1-b1-128-128-e2e')!, /no software stack describes vllm unpinned/);
  });

  test('a row on several cards runs as the layout its notes state, or as one tensor-parallel group, saying so', () => {
    const gptFast = planned('gptfast-a100-l2-7b-bf16-tp8-b1')!;
    assert.deepEqual(gptFast.layout, { cards: 8, tensorParallelSize: 8, pipelineParallelSize: 1, shardVocabulary: false });
    const trt = planned('trtllm17-h100-l31-70b-fp8-tp4-128-128-tput')!;
    assert.deepEqual(trt.layout, { cards: 4, tensorParallelSize: 4, pipelineParallelSize: 1, shardVocabulary: true });
    assert.ok(trt.assumptions.some((a) => /4 cards in one tensor-parallel group/.test(a)), trt.assumptions.join('; '));
    assert.equal(planned('argonne-h100-vllm-l2-7b-tp1-b1-1024-1024-e2e')!.layout.cards, 1);
    // Argonne's one MI250 is a module, two GCDs under vLLM's --tensor-parallel-size 2, stated in the notes (not assumed).
    const mi250 = planned('argonne-mi250-vllm-l2-7b-tp2-b1-1024-1024-e2e')!;
    assert.deepEqual(mi250.layout, { cards: 2, tensorParallelSize: 2, pipelineParallelSize: 1, shardVocabulary: true });
    assert.ok(!mi250.assumptions.some((a) => /cards in one tensor-parallel group/.test(a)), mi250.assumptions.join('; '));
  });

  test('one published cell quoted by both files is simulated once, the second naming the first', () => {
    // mc002 (multicard-moe.csv) and gptfast-a100-l2-7b-bf16-tp2-b1 (measurements.csv) are gpt-fast's 168.84 token/s on two A100s.
    assert.ok(planned('gptfast-a100-l2-7b-bf16-tp2-b1') !== undefined);
    assert.match(reason('mc002')!, /the same measurement as gptfast-a100-l2-7b-bf16-tp2-b1 \(measurements\.csv, line \d+\)/);
  });

  test('each benchmark runs as it ran: a whole batch at once, a static batch, a batch-1 stream', () => {
    const argonne = planned('argonne-h100-vllm-l2-7b-tp1-b64-1024-1024-e2e')!;
    assert.deepEqual([argonne.workload.requests, argonne.workload.inputLen, argonne.workload.outputLen, argonne.workload.requestRate, argonne.figure], [64, 1024, 1024, Infinity, 'e2e_s']);
    assert.equal(argonne.stack, 'vllm-0.5-cudagraphs');
    const power = planned('argonne-a100-vllm-l2-7b-b64-1024-1024-power')!;
    assert.deepEqual([power.board, power.figure, power.idleTailSeconds], ['a100-40gb-sxm', 'power_w', 1]);
    const staticBatch = planned('trtllm09-h100-l2-7b-fp8-tp1-b896-128-128-tput')!;
    assert.deepEqual([staticBatch.workload.policy, staticBatch.workload.maxNumSeqs, staticBatch.precision], ['static', 896, { preset: 'FP8', kvCache: 'fp8' }]);
    // gpt-fast's INT4 is weight-only in groups of 32, each with a bf16 scale and zero (32 bits).
    assert.deepEqual(planned('gptfast-a100-l2-7b-int4-tp1-b1')!.precision, { preset: 'W4A16', groupSize: 32, groupBits: 32 });
    assert.equal(planned('gptfast-a100-l2-7b-int8-tp1-b1')!.precision, 'W8A16');
    // FlightLLM's "generated" tokens are decode steps after the prefill's.
    assert.equal(planned('flightllm-vllm-l2-7b-b1-128-512-e2e')!.workload.outputLen, 513);
  });

  test('fitted rows are those a written rule picks; every other row is held out', () => {
    for (const c of cases) assert.equal(c.fit, FIT_RULES.some((rule) => rule.picks(c.row)));
    assert.equal(planned('argonne-h100-vllm-l2-7b-tp1-b16-1024-1024-e2e')!.fit, true);
    assert.equal(planned('argonne-h100-vllm-l2-7b-tp1-b16-2048-2048-e2e')!.fit, false);
    assert.equal(planned('gptfast-a100-l31-8b-int8-tp1-b1')!.fit, false);
    // A rule names the boards its fit ran on: Argonne's GH200 rows and gpt-fast's MI250X are held out.
    assert.equal(planned('argonne-gh200-tens-l2-7b-tp1-b16-1024-1024-e2e')!.fit, false);
    assert.equal(planned('gptfast-mi250x-l2-7b-bf16-b1')!.fit, false);
    assert.equal(planned('argonne-mi300x-vllm-l2-7b-tp1-b16-1024-1024-e2e')!.fit, true);
    assert.equal(planned('argonne-mi300x-vllm-l2-7b-tp1-b16-2048-2048-e2e')!.fit, false);
    const heldOut = cases.filter((c) => !c.fit && available.gpuBoards.has(c.board));
    assert.ok(heldOut.length >= cases.filter((c) => c.fit).length, 'more held-out rows than fitted ones');
  });

  test("a stack that names boards describes only their rows: vLLM 0.6.1's ROCm build has one stack per AMD architecture", () => {
    assert.deepEqual([planned('argonne-mi250-vllm-l2-7b-tp2-b16-1024-1024-e2e')!.board, planned('argonne-mi250-vllm-l2-7b-tp2-b16-1024-1024-e2e')!.stack], ['mi250-gcd', 'vllm-0.6-rocm-cdna2']);
    assert.deepEqual([planned('argonne-mi300x-vllm-l2-7b-tp1-b16-1024-1024-e2e')!.board, planned('argonne-mi300x-vllm-l2-7b-tp1-b16-1024-1024-e2e')!.stack], ['mi300x', 'vllm-0.6-rocm-cdna3']);
    const onAnother = { ...rows.find((r) => r.id === 'argonne-mi300x-vllm-l2-7b-tp1-b16-1024-1024-e2e')!, id: 'x', hardware: 'h100-sxm' } satisfies Measurement;
    assert.match(planValidation([onAnother], available, splitOf).skipped[0]!.reason, /no software stack describes vllm 0.6.1 \(ROCm build\)/);
  });

  test('a row of an unknown method is skipped, not guessed', () => {
    const odd = { ...rows.find((r) => r.id === 'argonne-h100-vllm-l2-7b-tp1-b1-128-128-e2e')!, id: 'x', group: 'new-benchmark' } satisfies Measurement;
    assert.match(planValidation([odd], available, splitOf).skipped[0]!.reason, /no simulation is defined for the new-benchmark group's method/);
  });
});
