import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { parseModel } from '../../src/model/index.js';
import { flightllmBackend } from '../../src/backends/index.js';
import { sensitivity, type SensitivityOptions } from '../../src/profiler/index.js';
import { tinyModel, VHK158, vhk158Hardware } from '../helpers.js';

const tiny = tinyModel();

const options = (extra: Partial<SensitivityOptions>): SensitivityOptions => ({
  hardwarePath: VHK158,
  step: -0.1,
  case: { batch: 1, prompt: 16, generated: 2 },
  source: { kind: 'model', model: tiny },
  threads: 1,
  ...extra,
});

async function rejectsWithUserError(run: () => Promise<unknown>): Promise<UserError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a UserError');
}

describe('sensitivity', () => {
  test('calibration.timeDivisor: decode elasticity 1, prefill elasticity -1 / (1 + step)', async () => {
    const step = -0.1;
    const result = await sensitivity(options({ keys: ['calibration.timeDivisor'], step }));
    assert.equal(result.rows.length, 1);
    const row = result.rows[0]!;
    const divisor = vhk158Hardware().calibration.timeDivisor;
    assert.equal(row.key, 'calibration.timeDivisor');
    assert.equal(row.from, divisor);
    assert.equal(row.to, divisor * (1 + step));
    // Every instruction latency is divided by the divisor, so every latency
    // scales by 1 / (1 + step) and decode throughput (tokens over decode time)
    // by (1 + step): its relative change equals the parameter's, elasticity 1.
    assert.ok(Math.abs(row.decodeElasticity - 1) < 1e-9, `decode elasticity ${row.decodeElasticity}`);
    // Prefill latency changes by 1 / (1 + step) - 1, over step: -1 / (1 + step).
    assert.ok(Math.abs(row.prefillElasticity - -1 / (1 + step)) < 1e-9, `prefill elasticity ${row.prefillElasticity}`);
    assert.ok(Math.abs(row.figures.decodeMs - result.base.decodeMs / (1 + step)) < 1e-9 * result.base.decodeMs);
  });

  test('overrides apply to the base and to every variant', async () => {
    const divisor = 1.6;
    const result = await sensitivity(options({ keys: ['calibration.timeDivisor'], overrides: { 'calibration.timeDivisor': divisor } }));
    assert.equal(result.rows[0]!.from, divisor);
    const plain = await sensitivity(options({ keys: ['calibration.timeDivisor'] }));
    // Half the divisor, twice the latency.
    assert.ok(Math.abs(result.base.decodeMs - (plain.base.decodeMs * vhk158Hardware().calibration.timeDivisor) / divisor) < 1e-9 * result.base.decodeMs);
  });

  test("without keys, every continuous parameter of the board's kind is varied, most influential first", async () => {
    const result = await sensitivity(options({}));
    assert.deepEqual(result.rows.map((row) => row.key).sort(), [...flightllmBackend.sensitivityKeys].sort());
    const decode = result.rows.map((row) => Math.abs(row.decodeElasticity));
    for (let index = 1; index < decode.length; index++) assert.ok(decode[index - 1]! >= decode[index]!, `${decode}`);
  });

  test('a key the hardware does not have is a UserError naming the key', async () => {
    const error = await rejectsWithUserError(() => sensitivity(options({ keys: ['hbm.nonsense'] })));
    assert.deepEqual(error.issues, [{ path: 'hbm.nonsense', message: 'no such key in this hardware' }]);
    assert.match(error.message, /vhk158\.yaml: cannot vary a hardware parameter: hbm\.nonsense: no such key in this hardware/);
  });

  test('a bad key is reported before anything is simulated', async () => {
    // The model cannot compile on the VHK158 (2 layers of 16384 × 65536 weights do not fit 8 GiB):
    // were the base case simulated first, the error would be that, not the key's.
    const huge = parseModel({ name: 'huge', architecture: { hidden_size: 16384, intermediate_size: 65536, num_attention_heads: 128, num_hidden_layers: 2, vocab_size: 2048, max_position_embeddings: 2048 } }).model;
    const error = await rejectsWithUserError(() => sensitivity(options({ keys: ['clock.frequencyMHz', 'hbm.nonsense'], source: { kind: 'model', model: huge } })));
    assert.deepEqual(error.issues, [{ path: 'hbm.nonsense', message: 'no such key in this hardware' }]);
  });

  test('a key that is not a number is a UserError saying what it holds', async () => {
    const error = await rejectsWithUserError(() => sensitivity(options({ keys: ['hbm.efficiency'] })));
    assert.deepEqual(error.issues.map((issue) => issue.path), ['hbm.efficiency']);
    assert.match(error.message, /expected a number, found/);
  });
});
