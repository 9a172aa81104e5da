import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { shippedHardwareNames } from '../../src/backends/index.js';
import { boardDefaultPrecision } from '../../src/compiler/index.js';
import { compileTarget } from '../../src/backends/index.js';
import { loadModel, parseModel, PrecisionSchema, type Model } from '../../src/model/index.js';
import { serve } from '../../src/serving/index.js';
import { shippedHardware, testCache } from '../helpers.js';

/*
 * Power follows load: on every GPU and ASIC board, serving at concurrency 1,
 * 16 and 64 does more work per second each time, and the board's mean
 * power never falls as it does (Argonne measured A100 and H100 power rising
 * from batch 1 to 64; validation/measurements.csv).
 */

const gpuBoards = shippedHardwareNames().filter((name) => shippedHardware(name).kind === 'roofline');

/**
 * LLaMA-2-7B's layers, two of its 32: each layer streams, computes and
 * launches what LLaMA-2-7B's does (a tiny model's steps are all launch
 * cost), at a sixteenth of the simulation's cost.
 */
const twoLayers = parseModel({ name: 'llama2-7b-2l', architecture: { ...loadModel('llama2-7b').model.architecture, num_hidden_layers: 2 } }).model;

function atBoardPrecision(model: Model, name: string): Model {
  const preset = boardDefaultPrecision(model, compileTarget(shippedHardware(name)));
  return preset === undefined ? model : { ...model, mapping: { ...model.mapping, precision: PrecisionSchema.parse(preset) } };
}

describe('board power as load grows', () => {
  for (const name of gpuBoards) {
    test(`${name}: more output per second at concurrency 1, 16, 64, and never less power`, () => {
      const hardware = shippedHardware(name);
      const model = atBoardPrecision(twoLayers, name);
      const runs = [1, 16, 64].map((concurrency) => {
        const workload = { datasetName: 'random' as const, numPrompts: concurrency, randomInputLen: 512, randomOutputLen: 64, randomRangeRatio: 0, seed: 1 };
        const { result } = serve({ hardware, model, workload, maxConcurrency: concurrency, cache: testCache() });
        return { concurrency, tokensPerSecond: result['output_throughput'] as number, watts: result['mean_power_watts'] as number };
      });
      for (let i = 1; i < runs.length; i++) {
        const [before, after] = [runs[i - 1]!, runs[i]!];
        assert.ok(after.tokensPerSecond > before.tokensPerSecond, `${name}: ${after.tokensPerSecond} token/s at ${after.concurrency} against ${before.tokensPerSecond} at ${before.concurrency}`);
        // Two runs held at the TDP both average the cap, up to rounding.
        assert.ok(after.watts >= before.watts * (1 - 1e-12), `${name}: ${after.watts.toFixed(1)} W at concurrency ${after.concurrency} against ${before.watts.toFixed(1)} W at ${before.concurrency}`);
      }
    });
  }
});
