import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileModel, generatedMasks } from '../../../../src/compiler/index.js';
import { generateInstructions } from '../../../../src/backends/flightllm/instgen/index.js';
import { parseIr, type AttentionMask, type Layer, type LayerOf } from '../../../../src/ir/index.js';
import { Module, MODULES, type ModuleName } from '../../../../src/backends/flightllm/isa/index.js';
import { simulateIr } from '../../../../src/backends/flightllm/engine/index.js';
import { RecordingSink, tinyModel, vhk158Hardware, type Recorded } from '../../../helpers.js';
import { compileTarget } from '../../../../src/backends/index.js';

/*
 * Prefill attention (attention-mm.ts) on masks built here or generated from
 * a model, so that it runs on a fresh clone. Every expectation is derived
 * from the mask's cells: a cell is maskBlockTokens² tokens, that is
 * `ratio` × `ratio` sparsity blocks, and the matrix engine takes a group of
 * `rowsPerGroup` block rows at a time.
 */

const hw = vhk158Hardware();
const BLOCK = hw.sparsity.blockSize;
const CELL = hw.sparsity.maskBlockTokens;
const ratio = CELL / BLOCK;
/** Mask rows (cells) per row group of the matrix engine. */
const cellRowsPerGroup = hw.mpe.matrixMatrix.parallelism.m / BLOCK / ratio;
const [A_BASE, B_BASE, OUT_BASE] = [0, 1 << 24, 1 << 26];

interface Attention {
  readonly mode: 'qkt' | 'qktv';
  readonly heads: number;
  readonly kvHeads: number;
  readonly tokens: number;
  readonly headDim: number;
  readonly softmax?: boolean;
}

/** An IR holding one attention product (and its fused softmax), its operands at A_BASE and B_BASE. */
function attentionIr(a: Attention, maskShape: readonly number[]): Layer[] {
  const tensor = (name: string, shape: number[], addr = 0) => ({ name, shape, dtype: 'int8' as const, addr });
  const [first, second, out] =
    a.mode === 'qkt'
      ? [tensor('q', [a.heads, a.tokens, a.headDim], A_BASE), tensor('k_t', [a.kvHeads, a.headDim, a.tokens], B_BASE), tensor('s', [a.heads, a.tokens, a.tokens], OUT_BASE)]
      : [tensor('p', [a.heads, a.tokens, a.tokens], A_BASE), tensor('v', [a.kvHeads, a.tokens, a.headDim], B_BASE), tensor('o', [a.heads, a.tokens, a.headDim], OUT_BASE)];
  const last = a.softmax === true ? tensor('p_out', [...out.shape]) : out;
  return [
    { name: 'in', type: 'input', input: [], output: [first, second], structure: {} },
    {
      name: 'attention',
      type: 'attention_mm',
      input: [first, second],
      output: [out],
      param: [{ name: 'attention_mask_0.mask', shape: [...maskShape], dtype: 'bool', addr: 0 }],
      structure: { bias_flag: false, mask_mode: a.mode, relu_flag: false },
    },
    ...(a.softmax === true ? [{ name: 'softmax', type: 'softmax' as const, input: [out], output: [last], structure: { dim: 2 } }] : []),
    { name: 'out', type: 'output', input: [last], output: [], structure: {} },
  ];
}

/** A mask from one string per head: rows separated by `/`, `#` keeps a cell, `.` skips it. */
function mask(heads: readonly string[]): AttentionMask {
  const rows = heads.map((head) => head.split('/'));
  const [rowCount, colCount] = [rows[0]!.length, rows[0]![0]!.length];
  const cells = Uint8Array.from(rows.flat().flatMap((row) => [...row].map((cell) => (cell === '#' ? 1 : 0))));
  return { heads: heads.length, rows: rowCount, cols: colCount, cells };
}

const cell = (m: AttentionMask, head: number, row: number, col: number) => m.cells[(head * m.rows + row) * m.cols + col] === 1;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function record(a: Attention, m: AttentionMask): RecordingSink {
  const sink = new RecordingSink();
  generateInstructions(parseIr(attentionIr(a, [m.heads, m.rows, m.cols])), hw, sink, { masks: () => m });
  return sink;
}

const loads = (sink: RecordingSink, target: string) => sink.instructions.filter((i) => i.module === 'LD' && i.fields['target'] === target);
const bytes = (list: readonly Recorded[]) => list.reduce((sum, i) => sum + (i.fields['lengthBytes'] as number), 0);
const has = (tokens: number, module: ModuleName) => (tokens & (1 << Module[module])) !== 0;

/** What a QKᵀ over `cellCount` × `cellCount` cells of each head must emit, counted from the mask. */
function expectedQkt(m: AttentionMask, cellCount: number) {
  let [groups, rows, columns, keptCells] = [0, 0, 0, 0];
  for (const head of range(m.heads)) {
    for (let first = 0; first < cellCount; first += cellRowsPerGroup) {
      const groupRows = range(cellRowsPerGroup).map((r) => first + r);
      const keptColumns = range(cellCount).filter((col) => groupRows.some((row) => cell(m, head, row, col)));
      if (keptColumns.length > 0) groups++;
      // Each kept column of cells is `ratio` block columns of Kᵀ; each non-empty row of cells, `ratio` block rows of Q and of the output.
      columns += keptColumns.length * ratio;
      rows += groupRows.filter((row) => range(cellCount).some((col) => cell(m, head, row, col))).length * ratio;
      keptCells += groupRows.reduce((sum, row) => sum + range(cellCount).filter((col) => cell(m, head, row, col)).length, 0);
    }
  }
  return { groups, rows, columns, keptCells };
}

/** Each module pair within the step: tokens released equal tokens waited for (none left over, none missing). */
function assertBalanced(sink: RecordingSink): void {
  // SYS closes the step and releases the next one's first load: it is no pair within the step.
  const modules = MODULES.filter((module) => module !== 'SYS');
  for (const from of modules) {
    for (const to of modules) {
      const released = sink.instructions.filter((i) => i.module === from && has(i.release, to)).length;
      const waited = sink.instructions.filter((i) => i.module === to && has(i.wait, from)).length;
      assert.equal(released, waited, `${from} → ${to}`);
    }
  }
}

describe('QKᵀ on a mask built in the test', () => {
  // 384 tokens: 6 × 6 cells, three row groups of two cell rows. Head 0 is causal;
  // head 1's middle group (cell rows 2 and 3) is empty; head 2 keeps a band and a sink.
  const m = mask(['#...../##..../###.../####../#####./######', '#...../##..../....../....../#.#.#./######', '#...../##..../.##.../..##../#..##./#...##']);
  const a: Attention = { mode: 'qkt', heads: 3, kvHeads: 3, tokens: 6 * CELL, headDim: 128 };
  const sink = record(a, m);
  const expected = expectedQkt(m, 6);

  test('one Q load and one store per block row the mask keeps anything of; one Kᵀ load and one MM per kept block column of each group', () => {
    assert.equal(loads(sink, 'a').length, expected.rows);
    assert.equal(sink.counts()['ST'], expected.rows);
    assert.equal(loads(sink, 'b').length, expected.columns);
    assert.equal(sink.counts()['MM'], expected.columns);
    assert.equal(sink.counts()['MISC'], undefined);
  });

  test('the stores write exactly the kept cells of the scores, maskBlockTokens² int8 bytes each', () => {
    assert.equal(bytes(sink.instructions.filter((i) => i.module === 'ST')), expected.keptCells * CELL * CELL);
  });

  test("a row group the mask empties emits nothing, and its neighbours chain: each of a head's groups after its first opens with a Q load waiting for the engine", () => {
    // Groups are told apart in the stream by their Q loads: a group's run of them follows the previous group's instructions.
    const instructions = sink.instructions;
    const opening = instructions.filter((i, at) => i.module === 'LD' && i.fields['target'] === 'a' && !(instructions[at - 1]?.module === 'LD' && instructions[at - 1]?.fields['target'] === 'a'));
    assert.equal(opening.length, expected.groups);
    assert.equal(expected.groups, 3 + 2 + 3);
    // Every group but each head's first waits for the MM that ended the group before it.
    assert.equal(opening.filter((i) => has(i.wait, 'MM')).length, expected.groups - a.heads);
    assertBalanced(sink);
  });

  test('the stream runs to the end on the simulator, faster than the same heads kept causal', () => {
    const ir = attentionIr(a, [m.heads, m.rows, m.cols]);
    const causal = mask(Array.from({ length: 3 }, () => '#...../##..../###.../####../#####./######'));
    const sparse = simulateIr(ir, hw, { masks: () => m });
    assert.ok(sparse.totalMs > 0 && sparse.totalMs < simulateIr(ir, hw, { masks: () => causal }).totalMs);
  });

  test('with grouped-query attention each query head reads the Kᵀ of its key/value head', () => {
    const gqa: Attention = { ...a, heads: 4, kvHeads: 2 };
    const dense = mask(Array.from({ length: 4 }, () => '######/######/######/######/######/######'));
    const stream = record(gqa, dense);
    const slice = gqa.headDim * gqa.tokens;
    const perHead = loads(stream, 'b').length / gqa.heads;
    loads(stream, 'b').forEach((load, index) => {
      const kvHead = Math.floor(Math.floor(index / perHead) / (gqa.heads / gqa.kvHeads));
      const address = load.fields['hbmAddress'] as number;
      assert.ok(address >= B_BASE + kvHead * slice && address < B_BASE + (kvHead + 1) * slice, `load ${index} at ${address}`);
    });
  });
});

describe('S·V on a mask built in the test', () => {
  // 256 tokens: 4 × 4 cells. Head 1 keeps two runs in its last row and nothing in its third.
  const m = mask(['#.../##../###./####', '#.../##../..../##.#']);
  const a: Attention = { mode: 'qktv', heads: 2, kvHeads: 2, tokens: 4 * CELL, headDim: 128 };
  const sink = record(a, m);
  const rowsOfCells = range(m.heads).flatMap((head) => range(4).map((row) => range(4).map((col) => cell(m, head, row, col))));

  test('each block row of P loads its kept runs from memory and zero-fills the rest, a whole row of the A buffer', () => {
    const fromMemory = loads(sink, 'a').filter((i) => i.fields['zeroFill'] === false);
    const zeroFilled = loads(sink, 'a').filter((i) => i.fields['zeroFill'] === true);
    const keptCells = rowsOfCells.flat().filter(Boolean).length;
    assert.equal(bytes(fromMemory), keptCells * CELL * CELL);
    assert.equal(bytes(fromMemory) + bytes(zeroFilled), a.heads * a.tokens * a.tokens);
    // One load per maximal run of kept cells, for each of the cell row's block rows.
    const runs = rowsOfCells.reduce((sum, row) => sum + row.filter((kept, col) => kept && !row[col - 1]).length, 0);
    assert.equal(fromMemory.length, runs * ratio);
    assert.equal(zeroFilled.length, rowsOfCells.filter((row) => !row.every(Boolean)).length * ratio);
  });

  test('every row group multiplies every block column of V and stores every block row, even rows the mask empties', () => {
    const groups = a.heads * (4 / cellRowsPerGroup);
    assert.equal(sink.counts()['MM'], groups * (a.headDim / BLOCK));
    assert.equal(loads(sink, 'b').length, groups * (a.headDim / BLOCK));
    assert.equal(sink.counts()['ST'], a.heads * (a.tokens / BLOCK));
    assertBalanced(sink);
  });
});

describe('QKᵀ with the fused softmax, on masks generated from a model', () => {
  const model = tinyModel({ attentionMasks: { pattern: 'density', density: 0.5, seed: 7 } });
  const tokens = 512;
  const { ir } = compileModel(model, { stage: 'prefill', tokens, target: compileTarget(hw) });
  const masks = generatedMasks(model, compileTarget(hw));
  const sink = new RecordingSink();
  generateInstructions(ir, hw, sink, { masks });

  test('every layer: one MM per kept block column of each group, and one softmax per token row of each kept block row', () => {
    const layers = ir.filter((layer): layer is LayerOf<'attention_mm'> => layer.type === 'attention_mm' && layer.structure.mask_mode === 'qkt');
    assert.equal(layers.length, model.architecture.num_hidden_layers);
    for (const layer of layers) {
      const step = sink.steps.find((s) => s.name.split('+')[0] === layer.name);
      assert.ok(step !== undefined, layer.name);
      const expected = expectedQkt(masks(layer.param[0]!.name, layer.name), tokens / CELL);
      const counts = sink.counts(step.index);
      assert.equal(counts['MM'], expected.columns, layer.name);
      assert.equal(counts['MISC'], expected.rows * BLOCK, layer.name);
      assert.equal(counts['ST'], expected.rows, layer.name);
    }
  });
});
