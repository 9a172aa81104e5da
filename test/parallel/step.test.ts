import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BatchShape } from '../../src/batch.js';
import { createStepCostModel } from '../../src/cost/index.js';
import { ModelError, UserError } from '../../src/errors.js';
import { loadModel, modelDims, PrecisionSchema, type Model } from '../../src/model/index.js';
import { createParallelStepCostModel, parallelLayout, shardModel, SINGLE_CARD, type ParallelStepCost, type ParallelStepCostModel } from '../../src/parallel/index.js';
import { shippedHardware, thrown, tinyModel, tinyVariant, TINY_MOE_ARCHITECTURE } from '../helpers.js';

/*
 * A replica over several cards, checked against physics: one card is the
 * single-card simulation itself, no layout speeds a step up by more than its
 * card count, every card draws at least its idle power for the whole step,
 * and a card's share of the weights is its fraction of the whole.
 */

const llama2 = loadModel('llama2-7b').model;
const fp16 = (model: Model): Model => ({ ...model, mapping: { ...model.mapping, precision: PrecisionSchema.parse('FP16'), weightSparsity: {}, biasedProjections: [] } });
const decodes = (count: number, context: number): BatchShape => ({ sequences: Array.from({ length: count }, () => ({ newTokens: 1, context })) });
const prompt: BatchShape = { sequences: [{ newTokens: 256, context: 0 }] };

describe('a layout of one card is the single-card simulation', () => {
  for (const board of ['vhk158', 'a100-80gb-sxm'] as const) {
    test(`${board}: the same step costs, field for field, by both paths`, () => {
      const hardware = shippedHardware(board);
      const model = board === 'vhk158' ? llama2 : fp16(llama2);
      const single = createStepCostModel({ hardware, model });
      const layout = createParallelStepCostModel({ hardware, model, layout: SINGLE_CARD });
      const batch = decodes(1, 511);
      assert.deepEqual(layout.fast(batch), single.fast(batch));
      assert.deepEqual(layout.exact(batch), single.exact(batch));
      assert.deepEqual(layout.capacity, single.capacity);
    });
  }
});

describe('speed-up at a fixed batch never exceeds the card count', () => {
  // FlightLLM's design is checked on decodes: in a prompt's matrix-matrix
  // products a single card streams the down projection's K = 11008 in more
  // splits than its buffers' halves hold (k-split.ts) than a half-width
  // shard does, so two U280s run a 256-token prompt 2.03 times as fast as
  // one: a superlinear effect of on-chip buffers, as caches give CPUs.
  const boards = [
    { board: 'a100-80gb-sxm', model: fp16(llama2), layouts: [[2, 1], [4, 1], [8, 1], [1, 2], [2, 2]], batches: [decodes(1, 511), decodes(8, 255), prompt] },
    { board: 'u280', model: llama2, layouts: [[2, 1], [4, 1], [1, 2]], batches: [decodes(1, 511), decodes(8, 255)] },
  ] as const;
  for (const { board, model, layouts, batches } of boards) {
    test(`${board}: ${batches.length === 3 ? 'a decode, eight decodes and a 256-token prompt' : 'a decode and eight decodes'}`, () => {
      const hardware = shippedHardware(board);
      const one = createStepCostModel({ hardware, model });
      for (const [tp, pp] of layouts) {
        const many = createParallelStepCostModel({ hardware, model, layout: parallelLayout({ tensorParallelSize: tp, pipelineParallelSize: pp }) });
        for (const batch of batches) {
          const speedup = one.fast(batch).totalMs / many.fast(batch).totalMs;
          assert.ok(speedup <= tp * pp, `tensor ${tp} × pipeline ${pp}: ${speedup.toFixed(3)}× on ${batch.sequences.length} sequences`);
          assert.ok(speedup > 0.5, `tensor ${tp} × pipeline ${pp}: a slowdown to ${speedup.toFixed(3)}× is not what sharding does`);
        }
      }
    });
  }
});

describe('what a multi-card step reports', () => {
  const hardware = shippedHardware('a100-80gb-sxm');
  const model = fp16(llama2);
  const tp4 = createParallelStepCostModel({ hardware, model, layout: parallelLayout({ tensorParallelSize: 4 }) }) as ParallelStepCostModel;

  test('a tensor-parallel decode is its card’s compute plus two all-reduces a layer, the embedding’s and the logits’ gather', () => {
    const cost = tp4.fast(decodes(1, 511));
    const card = tp4.stages[0]!.costs.fast(decodes(1, 511));
    const layers = modelDims(model).layers;
    const counts = Object.fromEntries(cost.parallel.collectives.map((c) => [c.purpose, c.count]));
    assert.deepEqual(counts, { 'attention output': layers, 'FFN output': layers, embedding: 1, logits: 1 });
    assert.ok(Math.abs(cost.totalMs - (card.totalMs + cost.parallel.communicationMs)) < 1e-9);
    assert.equal(cost.modules['LINK'], cost.parallel.communicationMs);
  });

  test('overlapping communication never makes a step slower, and never faster than its compute', () => {
    const overlapped = createParallelStepCostModel({ hardware, model, layout: parallelLayout({ tensorParallelSize: 4 }), overlapCommunication: true }) as ParallelStepCostModel;
    const batch = decodes(16, 1023);
    const card = overlapped.stages[0]!.costs.fast(batch).totalMs;
    assert.ok(overlapped.fast(batch).totalMs <= tp4.fast(batch).totalMs);
    assert.ok(overlapped.fast(batch).totalMs >= card);
  });

  test('every card draws at least its idle power over the whole step; the links add their bits’ energy', () => {
    const cost = tp4.fast(decodes(8, 511));
    const idleJ = 4 * hardware.energy!.idleWatts * (cost.totalMs / 1000);
    assert.ok(cost.energy!.joules > idleJ);
    const bits = cost.parallel.collectives.reduce((sum, c) => sum + c.linkBytes, 0) * 8;
    assert.ok(Math.abs(cost.parallel.linkJoules - bits * hardware.interconnect!.energyPjPerBit * 1e-12) < 1e-15);
    assert.ok(cost.parallel.linkJoules > 0);
  });

  test('the exact path simulates every card’s share whole and stays above the bound', () => {
    const exact = tp4.exact(decodes(4, 300));
    const fast = tp4.fast(decodes(4, 300)) as ParallelStepCost;
    assert.ok(exact.totalMs >= exact.boundMs);
    assert.ok(Math.abs(exact.totalMs / fast.totalMs - 1) < 0.02, `exact ${exact.totalMs} against fast ${fast.totalMs}`);
  });

  test('a pipeline of two stages over eight decodes runs two micro-batches, one stage’s worth of bubble', () => {
    const pp2 = createParallelStepCostModel({ hardware, model, layout: parallelLayout({ pipelineParallelSize: 2 }) }) as ParallelStepCostModel;
    const cost = pp2.fast(decodes(8, 511));
    assert.equal(cost.parallel.microBatches, 2);
    assert.deepEqual(cost.parallel.stages.map((s) => s.layers), [16, 16]);
    assert.ok(cost.parallel.bubbleMs > 0 && cost.parallel.bubbleMs < cost.totalMs / 2);
  });
});

describe('memory per card', () => {
  test('each of tp cards holds a tp-th of the projections’ weights and of the KV cache per token', () => {
    const model = fp16(llama2);
    const hardware = shippedHardware('a100-80gb-sxm');
    const one = createStepCostModel({ hardware, model }).capacity;
    const tp4 = createParallelStepCostModel({ hardware, model, layout: parallelLayout({ tensorParallelSize: 4 }) }).capacity;
    assert.equal(tp4.bytesPerToken * 4, one.bytesPerToken);
    // Norms are replicated: a card holds a little more than a quarter.
    assert.ok(tp4.weightBytes * 4 >= one.weightBytes && tp4.weightBytes * 4 < one.weightBytes * 1.001, `${tp4.weightBytes} × 4 against ${one.weightBytes}`);
    assert.ok(tp4.blocks > 4 * one.blocks, 'a card freed of three quarters of the weights holds more than four times the tokens');
  });

  test('key/value heads fewer than the cards are replicated: one per card', () => {
    const tiny = tinyModel();
    const [stage] = shardModel(tiny, parallelLayout({ tensorParallelSize: 4 }));
    assert.equal(stage!.model.architecture.num_key_value_heads, 1);
    assert.equal(stage!.model.architecture.num_attention_heads, 1);
  });

  test('a layout whose cards cannot hold their share is refused with every card’s figures', () => {
    const qwen = loadModel('qwen2.5-32b').model;
    const error = thrown(ModelError, () => createParallelStepCostModel({ hardware: shippedHardware('u280'), model: qwen, layout: parallelLayout({ pipelineParallelSize: 2 }) }));
    assert.equal(error.issues.length, 2, error.message);
    assert.match(error.issues[0]!.path, /stage 1 of 2, layers 0–31/);
    assert.match(error.issues[1]!.path, /stage 2 of 2, layers 32–63/);
    for (const issue of error.issues) assert.match(issue.message, /GiB/);
    assert.match(error.message, /does not fit on 2 cards \(pipeline 2\) of u280/);
  });
});

describe('layouts that cannot run are refused with every reason', () => {
  test('heads that do not split, more stages than layers, expert parallelism on a dense model, more cards than the links join', () => {
    const error = thrown(UserError, () =>
      createParallelStepCostModel({ hardware: shippedHardware('u280'), model: tinyModel(), layout: parallelLayout({ tensorParallelSize: 3, pipelineParallelSize: 3, enableExpertParallel: true }) }),
    );
    const paths = error.issues.map((i) => i.path);
    assert.deepEqual(paths, ['tensor-parallel-size', 'tensor-parallel-size', 'tensor-parallel-size', 'pipeline-parallel-size', 'enable-expert-parallel', 'interconnect.maxCards']);
  });

  test('a board without an interconnect runs on one card only', () => {
    const error = thrown(UserError, () => createParallelStepCostModel({ hardware: shippedHardware('vhk158'), model: llama2, layout: parallelLayout({ tensorParallelSize: 2 }) }));
    assert.match(error.message, /vhk158 describes no links to other cards/);
  });
});

describe('a mixture of experts over several cards', () => {
  const hardware = shippedHardware('a100-80gb-sxm');
  const moe = tinyVariant({ ...TINY_MOE_ARCHITECTURE }, { precision: 'FP16' });
  const one = createStepCostModel({ hardware, model: moe });
  const batch = decodes(16, 255);

  test('split experts or whole ones, each card holds half of the weights and no layout beats the card count', () => {
    for (const enableExpertParallel of [false, true]) {
      const two = createParallelStepCostModel({ hardware, model: moe, layout: parallelLayout({ tensorParallelSize: 2, enableExpertParallel }) });
      // Norms and the router are replicated: a card holds a little more than half.
      assert.ok(two.capacity.weightBytes * 2 >= one.capacity.weightBytes && two.capacity.weightBytes * 2 < one.capacity.weightBytes * 1.02, `expert parallel ${enableExpertParallel}`);
      assert.ok(one.fast(batch).totalMs / two.fast(batch).totalMs <= 2);
    }
  });

  test('expert parallelism places whole experts: each card holds routed / tp of them and k / tp of a token\'s choices', () => {
    const [stage] = shardModel(moe, parallelLayout({ tensorParallelSize: 2, enableExpertParallel: true }));
    const x = modelDims(stage!.model).experts!;
    assert.deepEqual([x.routed, x.topK, x.intermediate], [4, 1, TINY_MOE_ARCHITECTURE.moe_intermediate_size]);
    const [split] = shardModel(moe, parallelLayout({ tensorParallelSize: 2 }));
    assert.equal(modelDims(split!.model).experts!.intermediate, TINY_MOE_ARCHITECTURE.moe_intermediate_size / 2);
  });

  test("a step on several cards reports the whole model's routing, as one card does: the same experts active over the same tokens", () => {
    const single = one.fast(batch).experts!;
    for (const enableExpertParallel of [false, true]) {
      const two = createParallelStepCostModel({ hardware, model: moe, layout: parallelLayout({ tensorParallelSize: 2, enableExpertParallel }) });
      for (const cost of [two.fast(batch), two.exact(batch)]) {
        const experts = cost.experts;
        assert.ok(experts !== undefined, `expert parallel ${enableExpertParallel}: the step names its experts`);
        assert.deepEqual([experts.routedExperts, experts.expertsPerToken, experts.tokens, experts.activeExperts], [single.routedExperts, single.expertsPerToken, 16, single.activeExperts]);
        assert.ok(experts.activeExperts > 0 && experts.activeExperts <= experts.routedExperts);
      }
    }
  });

  test('expert parallelism over more cards than a token picks experts is refused, naming top-k', () => {
    const error = thrown(UserError, () => createParallelStepCostModel({ hardware, model: moe, layout: parallelLayout({ tensorParallelSize: 4, enableExpertParallel: true }) }));
    assert.match(error.message, /4 cards do not divide the 2 experts each token picks \(top-k\)/);
  });
});

