import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseIr } from '../../src/ir/index.js';
import { MODULES } from '../../src/backends/flightllm/isa/index.js';
import { simulateIr } from '../../src/backends/flightllm/engine/index.js';
import { TraceWriter } from '../../src/profiler/trace.js';
import { type Profile } from '../../src/backends/profile.js';
import { temporaryDirectory, tinyDecodeIr, vhk158Hardware } from '../helpers.js';

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

function traced(options: { windowMs?: [number, number]; maxEvents?: number } = {}): { events: TraceEvent[]; profile: Profile; writer: TraceWriter } {
  const path = join(temporaryDirectory(), 'trace.json');
  const writer = new TraceWriter(path, { processName: 'vhk158', ...options });
  const profile = simulateIr(parseIr(tinyDecodeIr()), vhk158Hardware(), { trace: writer.record });
  writer.finish(profile.steps);
  const document = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: TraceEvent[]; displayTimeUnit: string };
  assert.equal(document.displayTimeUnit, 'ms');
  return { events: document.traceEvents, profile, writer };
}

describe('Chrome trace', () => {
  test('names the process, one track per module and a track of steps', () => {
    const { events } = traced();
    const threads = events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args?.['name']]);
    assert.deepEqual(threads, [...MODULES.map((name, tid) => [tid, name]), [6, 'steps']]);
    assert.deepEqual(events.find((e) => e.name === 'process_name')?.args, { name: 'vhk158' });
  });

  test('one complete slice per instruction, on its module track, in microseconds', () => {
    const { events, profile } = traced();
    const slices = events.filter((e) => e.ph === 'X' && e.cat === 'instruction');
    MODULES.forEach((name, tid) => assert.equal(slices.filter((e) => e.tid === tid && e.name === name).length, profile.modules[name].count, name));
    for (const slice of slices) {
      assert.ok(typeof slice.ts === 'number' && slice.ts >= 0 && typeof slice.dur === 'number' && slice.dur >= 0);
      assert.ok(slice.ts + slice.dur <= profile.totalMs * 1000 * (1 + 1e-12));
    }
  });

  test('one slice per step on the steps track, named after the step', () => {
    const { events, profile } = traced();
    const steps = events.filter((e) => e.tid === 6 && e.ph === 'X');
    assert.deepEqual(steps.map((e) => e.name), profile.steps.map((s) => s.name));
    assert.equal(steps.at(-1)!.ts! + steps.at(-1)!.dur!, profile.steps.at(-1)!.endMs * 1000);
  });

  test('a time window keeps only the instructions overlapping it', () => {
    const full = traced();
    const end = full.profile.totalMs / 2;
    const { events } = traced({ windowMs: [0, end] });
    const slices = events.filter((e) => e.cat === 'instruction');
    assert.ok(slices.length > 0 && slices.length < full.events.filter((e) => e.cat === 'instruction').length);
    for (const slice of slices) assert.ok(slice.ts! < end * 1000);
  });

  test('an event budget bounds the file and counts what it left out', () => {
    const { events, writer, profile } = traced({ maxEvents: 10 });
    assert.equal(events.filter((e) => e.cat === 'instruction').length, 10);
    assert.equal(writer.dropped, profile.instructionCount - 10);
  });

  test('an aborted trace leaves no file behind', () => {
    const directory = temporaryDirectory();
    const writer = new TraceWriter(join(directory, 'trace.json'), { processName: 'x' });
    writer.abort();
    assert.equal(existsSync(join(directory, 'trace.json')), false);
    assert.deepEqual(readdirSync(directory), []);
  });
});
