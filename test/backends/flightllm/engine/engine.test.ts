import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimulationError } from '../../../../src/errors.js';
import { Module, tokenMask } from '../../../../src/backends/flightllm/isa/index.js';
import { Engine } from '../../../../src/backends/flightllm/engine/index.js';

const { LD, MM, ST, SYS } = Module;
const to = (...modules: number[]) => tokenMask(...(modules as Array<(typeof Module)[keyof typeof Module]>));

describe('engine', () => {
  test('a module runs its instructions back to back when nothing waits', () => {
    const engine = new Engine(1);
    for (const latency of [1, 2, 3]) engine.push(LD, latency, 0, 0, 0);
    const result = engine.finish();
    assert.equal(result.totalMs, 6);
    assert.equal(result.busyMs[LD], 6);
    assert.equal(result.counts[LD], 3);
  });

  test('an instruction starts when its module is free and its token has been released', () => {
    // LD (2 ms) releases MM; MM (5 ms) waits for it; a second LD (1 ms) runs meanwhile.
    const engine = new Engine(1);
    engine.push(LD, 2, 0, to(MM), 0);
    engine.push(LD, 1, 0, to(MM), 0);
    engine.push(MM, 5, to(LD), 0, 0);
    engine.push(MM, 5, to(LD), to(ST), 0);
    engine.push(ST, 1, to(MM), 0, 0);
    const result = engine.finish();
    // MM1: 2..7, MM2: max(7, 3)..12, ST: 12..13.
    assert.equal(result.totalMs, 13);
    assert.deepEqual([result.busyMs[LD], result.busyMs[MM], result.busyMs[ST]], [3, 10, 1]);
    assert.equal(result.stepStartMs[0], 0);
    assert.equal(result.stepEndMs[0], 13);
  });

  test('tokens between a pair of modules are consumed in release order', () => {
    // LD releases two tokens (at 1 and 4); the second MM takes the second.
    const engine = new Engine(1);
    engine.push(LD, 1, 0, to(MM), 0);
    engine.push(LD, 3, 0, to(MM), 0);
    engine.push(MM, 1, to(LD), 0, 0);
    engine.push(MM, 1, to(LD), 0, 0);
    assert.equal(engine.finish().totalMs, 5);
  });

  test('the order in which steps are fed does not change the times', () => {
    // Same program, the engine run after each instruction or only at the end.
    const program: Array<[number, number, number, number]> = [
      [LD, 1, 0, to(MM)],
      [MM, 4, to(LD), to(ST)],
      [LD, 2, 0, to(MM)],
      [ST, 1, to(MM), to(SYS)],
      [MM, 4, to(LD), 0],
      [SYS, 0.5, to(ST), 0],
    ];
    const eager = new Engine(1);
    const lazy = new Engine(1);
    program.forEach(([module, latency, wait, release]) => {
      eager.push(module, latency, wait, release, 0);
      eager.run();
      lazy.push(module, latency, wait, release, 0);
    });
    assert.deepEqual(eager.finish(), lazy.finish());
  });

  test('a wait that is never satisfied is reported as a deadlock naming module, step and instruction', () => {
    const engine = new Engine(1);
    engine.nameStep(0, 'round_0_q_proj');
    engine.push(LD, 1, 0, 0, 0);
    engine.push(MM, 1, to(LD), 0, 0);
    assert.throws(() => engine.finish(), (error: unknown) => {
      assert.ok(error instanceof SimulationError);
      assert.equal(error.message, 'deadlock: MM instruction #1 of step 0 "round_0_q_proj" waits for a token from LD that is never released (1 MM instructions left unexecuted).');
      return true;
    });
  });

  test('a token nobody waits for is reported', () => {
    const engine = new Engine(1);
    engine.push(LD, 1, 0, to(MM, ST), 0);
    engine.push(MM, 1, to(LD), 0, 0);
    assert.throws(() => engine.finish(), /token mismatch: LD released 1 token to ST that no instruction waits for/);
  });

  test('per-step figures add up to the totals', () => {
    const engine = new Engine(2);
    engine.push(LD, 1, 0, to(SYS), 0);
    engine.push(SYS, 0.5, to(LD), to(LD), 0);
    engine.run();
    engine.push(LD, 2, to(SYS), 0, 1);
    const result = engine.finish();
    assert.equal(result.stepBusyMs[0 * 6 + LD]! + result.stepBusyMs[1 * 6 + LD]!, result.busyMs[LD]);
    assert.deepEqual([result.stepStartMs[1], result.stepEndMs[1]], [1.5, 3.5]);
  });
});
