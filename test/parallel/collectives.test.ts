import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InterconnectSchema, type Interconnect } from '../../src/backends/index.js';
import { collectiveCost, COLLECTIVES, type Collective } from '../../src/parallel/index.js';
import { schedulePipeline, splitMicroBatches } from '../../src/parallel/pipeline.js';

/*
 * Collectives against what no algorithm can beat: the bytes a card must put
 * on its links, at the links' rate. The least each card sends follows from
 * what the collective computes, not from our formulas:
 *   all-reduce: every card's partial sum must leave it and the full sum
 *     reach it: 2 (n − 1) / n of the tensor (Patarasuk and Yuan, JPDC 2009);
 *   all-gather and reduce-scatter: (n − 1) / n of the whole;
 *   all-to-all: the (n − 1) / n of its data meant for the others;
 *   send/recv: the whole tensor, over the one link to the peer.
 */

const link = (fields: Partial<Interconnect> = {}): Interconnect =>
  InterconnectSchema.parse({ link: 'test', topology: 'switch', bandwidthGBps: 100, collectiveLatencyUs: 5, hopLatencyUs: 1, maxCards: 8, ...fields });

function leastBytesPerCard(collective: Collective, bytes: number, n: number): number {
  switch (collective) {
    case 'all-reduce':
      return (2 * (n - 1) * bytes) / n;
    case 'all-gather':
    case 'reduce-scatter':
    case 'all-to-all':
      return ((n - 1) * bytes) / n;
    case 'send-recv':
      return bytes;
  }
}

describe('communication never takes less than its bytes over the link bandwidth', () => {
  for (const topology of ['switch', 'ring', 'mesh'] as const) {
    for (const algorithm of topology === 'ring' ? (['ring'] as const) : (['ring', 'tree'] as const)) {
      test(`${topology} topology, ${algorithm} all-reduce: every collective, 2 to 8 cards, 1 KB to 1 GB`, () => {
        const l = link({ topology, algorithm });
        for (const collective of COLLECTIVES) {
          for (const n of [2, 3, 4, 8]) {
            for (const bytes of [1e3, 1e6, 1e9]) {
              const cost = collectiveCost(l, { collective, bytes, cards: n });
              const floorMs = (leastBytesPerCard(collective, bytes, n) / (l.bandwidthGBps * 1e9)) * 1000;
              assert.ok(cost.ms >= floorMs, `${collective} of ${bytes} B over ${n} cards: ${cost.ms} ms < ${floorMs} ms`);
              assert.ok(cost.bytesPerCard >= leastBytesPerCard(collective, bytes, n) - 1e-9, `${collective}: a card sends ${cost.bytesPerCard} B, less than it must`);
              assert.ok(cost.ms >= (l.collectiveLatencyUs + l.hopLatencyUs) / 1000, 'every collective costs a call and at least one hop');
            }
          }
        }
      });
    }
  }

  test('more bytes never cost less time, and one card communicates nothing', () => {
    for (const collective of COLLECTIVES) {
      const times = [1e3, 1e4, 1e5, 1e6].map((bytes) => collectiveCost(link(), { collective, bytes, cards: 4 }).ms);
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, `${collective}: ${times.join(' ')}`);
      assert.equal(collectiveCost(link(), { collective, bytes: 1e6, cards: 1 }).ms, 0);
    }
  });

  test('a large all-reduce over a ring reaches the bandwidth-optimal time: 2 (n − 1) / n of the tensor over the rate', () => {
    const cost = collectiveCost(link({ collectiveLatencyUs: 0, hopLatencyUs: 0 }), { collective: 'all-reduce', bytes: 1e9, cards: 4 });
    assert.ok(Math.abs(cost.ms - ((2 * 3) / 4) * 1e9 / 100e9 * 1000) < 1e-9);
  });

  test('the links carry every card’s bytes: an all-reduce of B over n cards moves 2 (n − 1) B in all', () => {
    const cost = collectiveCost(link(), { collective: 'all-reduce', bytes: 1e6, cards: 8 });
    assert.ok(Math.abs(cost.linkBytes - 2 * 7 * 1e6) < 1e-6);
  });

  test('on a mesh of 8, n cards talk over the n − 1 links between them, each 1/7 of a card’s rate', () => {
    // A card's rate is spread over its 7 links; a group of n reaches its n − 1
    // peers over n − 1 of them, and one peer over one.
    const quiet = { collectiveLatencyUs: 0, hopLatencyUs: 0 };
    const perLinkGBps = 100 / 7;
    for (const n of [2, 4, 8]) {
      const cost = collectiveCost(link({ ...quiet, topology: 'mesh' }), { collective: 'all-reduce', bytes: 1e9, cards: n });
      const expectedMs = ((2 * (n - 1)) / n) * 1e9 / ((n - 1) * perLinkGBps * 1e9) * 1000;
      assert.ok(Math.abs(cost.ms - expectedMs) < 1e-9, `${n} cards: ${cost.ms} ms, expected ${expectedMs}`);
    }
    const sent = collectiveCost(link({ ...quiet, topology: 'mesh' }), { collective: 'send-recv', bytes: 1e9, cards: 2 });
    assert.ok(Math.abs(sent.ms - (1e9 / (perLinkGBps * 1e9)) * 1000) < 1e-9);
    const whole = collectiveCost(link({ ...quiet, topology: 'mesh' }), { collective: 'all-reduce', bytes: 1e9, cards: 8 });
    const switched = collectiveCost(link(quiet), { collective: 'all-reduce', bytes: 1e9, cards: 8 });
    assert.ok(Math.abs(whole.ms - switched.ms) < 1e-9, 'all eight cards of the mesh use every link: the switch’s rate');
  });
});

describe('a pipeline of stages', () => {
  test('alike stages over m micro-batches take (m + stages − 1) micro-batch times, a bubble of (stages − 1)', () => {
    for (const [stages, micro] of [[2, 1], [2, 4], [4, 4], [3, 8]] as const) {
      const schedule = schedulePipeline({ stageMs: Array.from({ length: stages }, () => Array.from({ length: micro }, () => 2)), handoffMs: Array.from({ length: micro }, () => 0) });
      assert.equal(schedule.totalMs, (micro + stages - 1) * 2);
      assert.equal(schedule.bubbleMs, (stages - 1) * 2);
    }
  });

  test('a handoff delays each micro-batch between stages, never the stages’ own work', () => {
    const schedule = schedulePipeline({ stageMs: [[3], [3]], handoffMs: [1] });
    assert.equal(schedule.totalMs, 7);
  });

  test('micro-batches split a step’s sequences in order, none empty', () => {
    const batch = { sequences: Array.from({ length: 5 }, (_, i) => ({ newTokens: 1, context: i })) };
    const parts = splitMicroBatches(batch, 2);
    assert.deepEqual(parts.map((p) => p.sequences.length), [3, 2]);
    assert.deepEqual(parts.flatMap((p) => p.sequences), batch.sequences);
    assert.equal(splitMicroBatches({ sequences: [{ newTokens: 8, context: 0 }] }, 4).length, 1);
  });
});
