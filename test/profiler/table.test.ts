import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCaseTable, type CaseFigures, type CaseTable } from '../../src/profiler/index.js';

const figures = (prefillMs: number, decodeMs: number, generated: number): CaseFigures => ({
  prefillMs,
  decodeMs,
  totalMs: prefillMs + decodeMs,
  tokensPerSecond: generated / (decodeMs / 1000),
});

const CASES = [
  { batch: 1, prompt: 128, generated: 512 },
  { batch: 1, prompt: 512, generated: 64 },
];

/** Two cases, two GPU backends (one lacking the second case); the second case has no bound. */
function table(showBound?: boolean): CaseTable {
  return {
    model: 'Tiny',
    deviceLabel: 'VHK158 FPGA',
    ...(showBound === undefined ? {} : { showBound }),
    rows: [
      {
        case: CASES[0]!,
        device: figures(12.34, 4567.8, 512),
        bound: figures(3.21, 1234.5, 512),
        gpus: [
          { label: 'GPU-a', figures: figures(20, 9000, 512) },
          { label: 'GPU-b', figures: figures(15, 6000, 512) },
        ],
      },
      {
        case: CASES[1]!,
        device: figures(40.5, 600.25, 64),
        bound: undefined,
        gpus: [
          { label: 'GPU-a', figures: figures(50, 700, 64) },
          { label: 'GPU-b', figures: undefined },
        ],
      },
    ],
  };
}

const lines = (text: string) => text.trimEnd().split('\n');
/** The cells of a table row, trimmed, without the label. */
const cells = (line: string) => line.split('|').slice(2, -1).map((cell) => cell.trim());
const rowsLabelled = (text: string, label: string) => lines(text).filter((line) => line.startsWith(`| ${label} `));

describe('the case table', () => {
  const plain = formatCaseTable(table());
  const bounded = formatCaseTable(table(true));

  test('showBound: false is the table without the option', () => {
    assert.equal(formatCaseTable(table(false)), plain);
    assert.doesNotMatch(plain, /bound/);
  });

  test('without the bound column, every row holds the GPU cells and the FPGA cell only', () => {
    for (const line of lines(plain).filter((l) => l.startsWith('| '))) assert.equal(cells(line).length, 3, line);
    assert.deepEqual(cells(rowsLabelled(plain, 'Hardware')[0]!), ['GPU-a', 'GPU-b', 'VHK158 FPGA']);
  });

  test('showBound adds a `bound` column after the FPGA and leaves every other cell where it was', () => {
    const withBound = lines(bounded).filter((line) => line.startsWith('| '));
    const without = lines(plain).filter((line) => line.startsWith('| '));
    assert.equal(withBound.length, without.length);
    withBound.forEach((line, index) => {
      const last = line.lastIndexOf('|', line.length - 2);
      assert.equal(line.slice(0, last + 1), without[index], 'the line up to the new cell is the line without the column');
    });
    for (const header of rowsLabelled(bounded, 'Hardware')) assert.equal(cells(header).at(-1), 'bound');
  });

  test("the bound cells are the case's bound figures to one decimal, — where a case has none", () => {
    const rows: Array<[string, (f: CaseFigures) => number]> = [
      ['Prefill time (ms)', (f) => f.prefillMs],
      ['Decode time (ms)', (f) => f.decodeMs],
      ['Total time (ms)', (f) => f.totalMs],
      ['Avg throughput (token/s)', (f) => f.tokensPerSecond],
    ];
    const bound = table(true).rows[0]!.bound!;
    for (const [label, value] of rows) {
      const [first, second] = rowsLabelled(bounded, label);
      assert.equal(cells(first!).at(-1), value(bound).toFixed(1), label);
      assert.equal(cells(second!).at(-1), '—', label);
    }
    // The speedup row has an empty bound cell: a bound has no speedup.
    for (const line of rowsLabelled(bounded, 'VHK158 speedup ratio')) assert.equal(cells(line).at(-1), '');
  });

  test('every line of a block, title and border included, is as wide as its header', () => {
    for (const text of [plain, bounded]) {
      const all = lines(text);
      const width = rowsLabelled(text, 'Hardware')[0]!.length;
      for (const line of all) assert.equal(line.length, width, line);
    }
    assert.ok(rowsLabelled(bounded, 'Hardware')[0]!.length > rowsLabelled(plain, 'Hardware')[0]!.length);
  });

  test('a figure wider than seven characters takes from the leading spaces and keeps the columns aligned', () => {
    const wide: CaseTable = { ...table(true), rows: [{ ...table(true).rows[0]!, bound: figures(0.01, 1.5, 512) }] };
    const text = formatCaseTable(wide);
    // 512 tokens in 1.5 ms: 341333.3 token/s, eight characters.
    const line = rowsLabelled(text, 'Avg throughput (token/s)')[0]!;
    assert.equal(cells(line).at(-1), '341333.3');
    assert.equal(line.length, rowsLabelled(text, 'Hardware')[0]!.length);
  });

  test('a board name longer than the label column widens it, and a long column title its columns, every line as wide', () => {
    const long: CaseTable = { ...table(true), deviceLabel: 'A100 80GB SXM (vLLM fit)', showEnergy: true };
    const text = formatCaseTable(long);
    const width = rowsLabelled(text, 'Hardware')[0]!.length;
    for (const line of lines(text)) assert.equal(line.length, width, line);
    const speedup = rowsLabelled(text, 'A100 80GB SXM (vLLM fit) speedup ratio')[0]!;
    // The label is followed by one space and the column bar, not cut or run into the cells.
    assert.match(speedup, /^\| A100 80GB SXM \(vLLM fit\) speedup ratio \|/);
    assert.match(rowsLabelled(text, 'Hardware')[0]!, /\| A100 80GB SXM \(vLLM fit\) \|/);
  });

  test('a GPU that lacks a case shows — and no speedup, as before', () => {
    const [, second] = rowsLabelled(plain, 'Total time (ms)');
    assert.deepEqual(cells(second!), ['750.0', '—', (40.5 + 600.25).toFixed(1)]);
    const [, speedup] = rowsLabelled(plain, 'VHK158 speedup ratio');
    assert.deepEqual(cells(speedup!), [(750 / (40.5 + 600.25)).toFixed(3), '—', '1.000']);
  });
});
