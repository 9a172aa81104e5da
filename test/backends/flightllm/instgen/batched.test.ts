import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileModel, generatedMasks, type CompiledIr, type LayerTag } from '../../../../src/compiler/index.js';
import { mvRowsPerGroup } from '../../../../src/backends/flightllm/instgen/layers/linear-mv.js';
import { generateInstructions } from '../../../../src/backends/flightllm/instgen/index.js';
import { modelDims } from '../../../../src/model/index.js';
import { RecordingSink, tinyModel, vhk158Hardware } from '../../../helpers.js';
import { compileTarget } from '../../../../src/backends/index.js';

/*
 * The instruction streams of batched steps, against counts derived from the
 * hardware and the shapes: one step's layers are taken out of a compiled
 * step and generated on their own.
 */

const model = tinyModel();
const d = modelDims(model);
const hw = vhk158Hardware();
const masks = generatedMasks(model, compileTarget(hw));

/** The instructions of the first IR layer with `tag` in a compiled step, and of the layers fused into it. */
function stream(compiled: CompiledIr, tag: LayerTag): RecordingSink {
  const at = compiled.tags.indexOf(tag);
  const fused = compiled.ir.slice(at + 1).findIndex((_, offset) => !FUSES_INTO.has(compiled.tags[at + 1 + offset]!));
  const sink = new RecordingSink();
  // The input marker comes along: it declares the step's sequences (FlightLLM's shapes declare none).
  generateInstructions([compiled.ir[0]!, ...compiled.ir.slice(at, at + 1 + Math.max(0, fused))], hw, sink, { masks });
  return sink;
}

/** Layers the generator fuses into the layer before them. */
const FUSES_INTO = new Set<LayerTag>(['rope', 'residual', 'silu', 'gate_mul', 'softmax']);

describe('a linear layer over several rows on the MV engine', () => {
  const step = (sequences: number) => compileModel(model, { batch: { sequences: Array.from({ length: sequences }, () => ({ newTokens: 1, context: 10 })) }, target: compileTarget(hw), linearEngines: { down: 'mv' } });
  const downOf = (sequences: number) => {
    return stream(step(sequences), 'down').instructions.filter((i) => i.step === 0);
  };

  test('multiplies each loaded weight tile by every row, and streams the weights once per group of rows the B buffer holds', () => {
    const one = downOf(1);
    const weightLoads = (instructions: typeof one) => instructions.filter((i) => i.module === 'LD' && i.fields['target'] === 'a').length;
    const products = (instructions: typeof one) => instructions.filter((i) => i.module === 'MV').length;
    const group = mvRowsPerGroup(hw, d.intermediate);
    for (const rows of [2, group, group + 1, 3 * group + 2]) {
      const many = downOf(rows);
      assert.equal(products(many), rows * products(one), `${rows} rows`);
      assert.equal(weightLoads(many), Math.ceil(rows / group) * weightLoads(one), `${rows} rows`);
      const vectorLoads = many.filter((i) => i.module === 'LD' && i.fields['target'] === 'b');
      assert.equal(vectorLoads.length, Math.ceil(rows / group));
      assert.equal(vectorLoads.reduce((sum, i) => sum + (i.fields['lengthBytes'] as number), 0), rows * d.intermediate);
    }
  });
});

describe("the matrix engine's last block row", () => {
  const storedBytes = (batchedForm: boolean) => {
    const compiled = compileModel(model, { batch: { sequences: [{ newTokens: 130, context: 0 }] }, target: compileTarget(hw), batchedForm });
    const sink = stream(compiled, 'down');
    return sink.instructions.filter((i) => i.module === 'ST').reduce((sum, i) => sum + (i.fields['lengthBytes'] as number), 0);
  };

  test("stores as many bytes as it has rows in FlightLLM's prefill, a row of the block for each row elsewhere", () => {
    const block = hw.sparsity.blockSize;
    const columns = d.hidden / block;
    const fullRows = Math.floor(130 / block);
    const left = 130 - fullRows * block;
    assert.equal(storedBytes(false), columns * (fullRows * block * block + left));
    assert.equal(storedBytes(true), columns * (fullRows * block * block + left * block));
  });
});

describe('a prompt chunk after its context', () => {
  test('multiplies, per head and row group, every key block the mask keeps for the rows’ positions', () => {
    const context = 128;
    const chunk = 160;
    const compiled = compileModel(model, { batch: { sequences: [{ newTokens: chunk, context }] }, target: compileTarget(hw) });
    const sink = stream(compiled, 'qkt');
    // The tiny model's masks are dense and causal: a row group keeps every key block up to the mask cell of its last row.
    const { blockSize, maskBlockTokens } = hw.sparsity;
    const rowsPerGroup = hw.mpe.matrixMatrix.parallelism.m;
    let expected = 0;
    for (let first = 0; first < chunk; first += rowsPerGroup) {
      const lastToken = context + Math.min(first + rowsPerGroup, Math.ceil(chunk / blockSize) * blockSize) - 1;
      const keptCells = Math.floor(lastToken / maskBlockTokens) + 1;
      expected += Math.min(keptCells * (maskBlockTokens / blockSize), Math.ceil((context + chunk) / blockSize));
    }
    assert.equal(sink.instructions.filter((i) => i.module === 'MM').length, d.heads * expected);
  });

  test('its append reads the whole past cache once, however many tokens it adds', () => {
    for (const newTokens of [1, 40]) {
      const compiled = compileModel(model, { batch: { sequences: [{ newTokens, context: 300 }, { newTokens: 1, context: 5 }] }, target: compileTarget(hw) });
      // The first append of the step: the first sequence's keys in the first layer.
      const sink = stream(compiled, 'concat');
      const read = sink.instructions.filter((i) => i.module === 'LD').reduce((sum, i) => sum + (i.fields['lengthBytes'] as number), 0);
      assert.ok(read >= d.kvHeads * 300 * d.headDim && read < d.kvHeads * 300 * d.headDim + hw.buffers.a.hbmChannels.count, `${read} bytes`);
    }
  });
});
