import { createHash } from 'node:crypto';
import type { FlightLlmHardware } from '../../schema.js';
import type { AttentionMask, LayerOf } from '../../../../ir/index.js';
import { Module } from '../../isa/index.js';
import type { InstructionSink } from '../instructions.js';
import type { Step } from '../../../../ir/steps.js';
import { load, matrix, misc, store } from './builders.js';
import { ceilDiv, formatShape, LayerIssues, planSignature, shape3, type GenerationContext, type StepPlanner } from './common.js';
import { matrixRate, tensorRatio, vectorRate } from './precision.js';
import { T, when } from './tokens.js';

/*
 * Attention products in matrix-matrix form (prefill), per head:
 *   QKᵀ  (mask_mode qkt):  Q [M, K] × Kᵀ [K, N], N ≥ M tokens
 *   S·V  (mask_mode qktv): S [M, K] × V [K, N], K ≥ M tokens
 * The M query rows are the last M of the N (or K) tokens: a whole prompt
 * (FlightLLM's prefill, N = M) or a chunk of one after its context.
 * The block-sparse mask decides which blocks are computed: QKᵀ skips empty
 * rows and columns; S·V loads only the kept runs of each softmax row and
 * zero-fills the rest of the A buffer.
 *
 *   for each head, for each group of rows (one MPE row tile):
 *     load the group's rows of Q (or of S) into the A buffer
 *     for each column of Kᵀ (or V) that the group needs: load it into B; MM
 *     per row: [fused softmax: one MISC per token row]; store
 */

interface Plan {
  readonly hw: FlightLlmHardware;
  readonly mode: 'qkt' | 'qktv';
  readonly heads: number;
  /** Key/value heads; each serves heads / kvHeads query heads. */
  readonly kvHeads: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly mBlocks: number;
  readonly kBlocks: number;
  readonly nBlocks: number;
  readonly mask: BlockMask;
  readonly fused: boolean;
  /** B-buffer words one column of the B operand occupies. */
  readonly bColumnWords: number;
  /** Columns the B buffer holds before a load must wait for the engine. */
  readonly inputDepth: number;
  /** Row groups the global buffer holds before the engine must wait for stores. */
  readonly outputDepth: number;
  readonly address: { readonly a: number; readonly b: number; readonly output: number };
  readonly precision: AttentionPrecision;
}

export const planAttentionMatrixMatrix: StepPlanner = (step, context) => {
  const issues = new LayerIssues(step);
  const { hw } = context;
  const dims = attentionDims(step, hw, issues);
  if (dims === undefined) return issues.list;
  const mask = blockMask(step, context, dims, issues);
  const blockBytes = hw.sparsity.blockSize ** 2;
  const aWords = ceilDiv(blockBytes, hw.buffers.a.channelWidthBytes.matrixMatrix) * dims.kBlocks;
  issues.require(aWords <= hw.buffers.a.depthWords, 'input[0].shape', () => `K = ${dims.k} needs ${aWords} A-buffer words per row block, but buffers.a.depthWords is ${hw.buffers.a.depthWords}`);
  const bColumnWords = (blockBytes / hw.buffers.b.widthBytes.matrixMatrix) * dims.kBlocks;
  const bDepth = Math.floor(hw.buffers.b.depthWords / bColumnWords);
  issues.require(Number.isInteger(bColumnWords) && bDepth >= 2, 'input[1].shape', () => `a column of ${dims.kBlocks} blocks (${bColumnWords} words) does not fit twice in the B buffer (${hw.buffers.b.depthWords} words)`);
  const outputDepth = Math.floor(hw.buffers.global.depthWords / dims.nBlocks);
  issues.require(outputDepth >= 2, 'output[0].shape', () => `a row group of N = ${dims.n} outputs (${dims.nBlocks} words) does not fit twice in the global buffer (${hw.buffers.global.depthWords} words)`);
  const precision = attentionPrecision(step, hw, issues);
  if (issues.list.length > 0 || mask === undefined) return issues.list;
  const layer = step.layer as LayerOf<'attention_mm'>;
  const plan: Plan = {
    hw,
    ...dims,
    mask,
    fused: step.fused.length > 0,
    bColumnWords,
    inputDepth: bDepth * hw.buffers.b.hbmChannels.count,
    outputDepth,
    address: { a: layer.input[0]!.addr, b: layer.input[1]!.addr, output: layer.output[0]!.addr },
    precision,
  };
  return { emit: (sink) => emit(sink, plan), signature: planSignature({ ...plan, hw: undefined, address: undefined, mask: mask.readCells(dims.heads, dims.mBlocks, maskColumns(dims)) }) };
};

interface AttentionDims {
  readonly mode: 'qkt' | 'qktv';
  readonly heads: number;
  readonly kvHeads: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly mBlocks: number;
  readonly kBlocks: number;
  readonly nBlocks: number;
  /** Tokens before the first query row: the context a prompt chunk attends to. */
  readonly offsetTokens: number;
}

/**
 * Shapes of the two operands and the product, checked against each other.
 * The second operand may have fewer heads than the first (grouped-query
 * attention): query head h reads key/value head ⌊h / (heads / kvHeads)⌋.
 */
export function attentionOperands(step: Step, issues: LayerIssues): { heads: number; kvHeads: number; m: number; k: number; n: number } | undefined {
  const layer = step.layer as LayerOf<'attention_mm'> | LayerOf<'attention_mv'>;
  const a = shape3(layer.input[0]);
  const b = shape3(layer.input[1]);
  const out = shape3(layer.output[0]);
  if (!issues.require(layer.input.length === 2 && a !== undefined && b !== undefined, 'input', () => `expected two inputs of shapes [heads, M, K] and [heads, K, N], got ${layer.input.map((t) => formatShape(t.shape)).join(' and ')}`)) return undefined;
  if (!issues.require(layer.output.length === 1 && out !== undefined, 'output', () => `expected one output of shape [heads, M, N], got ${formatShape(layer.output[0]?.shape)}`)) return undefined;
  const [heads, m, k] = a!;
  issues.require(heads % b![0] === 0 && b![1] === k, 'input[1].shape', () => `expected [kvHeads, ${k}, N] with kvHeads dividing the ${heads} heads of the first input, got ${formatShape(b)}`);
  issues.require(out![0] === heads && out![1] === m && out![2] === b![2], 'output[0].shape', () => `expected [${heads}, ${m}, ${b![2]}], got ${formatShape(out)}`);
  issues.require(layer.param.length === 1, 'param', () => `expected one parameter (the attention mask), got ${layer.param.length}`);
  issues.require(!layer.structure.bias_flag && !layer.structure.relu_flag, 'structure', 'attention products take no bias and no ReLU');
  const fusedSoftmax = step.fused[0];
  if (fusedSoftmax !== undefined) {
    const softmax = fusedSoftmax as LayerOf<'softmax'>;
    const fusedIssues = new LayerIssues(step, step.irIndex + 1, softmax);
    fusedIssues.require(formatShape(softmax.input[0]?.shape) === formatShape(out), 'input[0].shape', () => `a softmax fused after the attention product must have its shape ${formatShape(out)}, got ${formatShape(softmax.input[0]?.shape)}`);
    fusedIssues.require(softmax.structure.dim === 2, 'structure.dim', () => `softmax runs along the last axis (dim 2), got ${softmax.structure.dim}`);
    issues.list.push(...fusedIssues.list);
  }
  return { heads, kvHeads: b![0], m, k, n: b![2] };
}

/** Bandwidth multipliers of the two operands and the output, and engine rates, from the tensors' dtypes. */
export interface AttentionPrecision {
  readonly aRatio: number;
  readonly bRatio: number;
  readonly outputRatio: number;
  readonly matrixRate: number;
  /** Of the fused softmax (1 when there is none). */
  readonly vectorRate: number;
}

export function attentionPrecision(step: Step, hw: FlightLlmHardware, issues: LayerIssues): AttentionPrecision {
  const layer = step.layer as LayerOf<'attention_mm'> | LayerOf<'attention_mv'>;
  const [a, b] = [layer.input[0]!, layer.input[1]!];
  const output = layer.output[0]!;
  return {
    aRatio: tensorRatio(a),
    bRatio: tensorRatio(b),
    outputRatio: tensorRatio(output),
    matrixRate: matrixRate(hw, { a: a.dtype, b: b.dtype }, issues, 'input[1].dtype'),
    vectorRate: step.fused.length > 0 ? vectorRate(hw, output.dtype, issues, 'output[0].dtype') : 1,
  };
}

/** Block columns the mask covers: the keys of QKᵀ (its N), the values of S·V (its K). */
function maskColumns(dims: AttentionDims): number {
  return dims.mode === 'qkt' ? dims.nBlocks : dims.kBlocks;
}

function attentionDims(step: Step, hw: FlightLlmHardware, issues: LayerIssues): AttentionDims | undefined {
  const layer = step.layer as LayerOf<'attention_mm'>;
  const operands = attentionOperands(step, issues);
  if (operands === undefined) return undefined;
  const { heads, kvHeads, m, k, n } = operands;
  const block = hw.sparsity.blockSize;
  const mode = layer.structure.mask_mode;
  if (!issues.require(mode === 'qkt' || mode === 'qktv', 'structure.mask_mode', () => `a matrix-matrix attention product is either qkt or qktv, got ${mode}`)) return undefined;
  issues.require(m > 1, 'input[0].shape', () => `a matrix-matrix attention product needs M > 1, got ${m}`);
  const tokens = mode === 'qkt' ? n : k;
  issues.require(tokens >= m, 'input[1].shape', mode === 'qkt' ? `QKᵀ needs at least as many keys as query rows: N = ${n}, M = ${m}` : `S·V needs at least as many values as query rows: K = ${k}, M = ${m}`);
  if (issues.list.length > 0) return undefined;
  // A token count that is not a whole number of blocks is padded by the hardware.
  return { mode: mode as 'qkt' | 'qktv', heads, kvHeads, m, k, n, mBlocks: ceilDiv(m, block), kBlocks: ceilDiv(k, block), nBlocks: ceilDiv(n, block), offsetTokens: tokens - m };
}

/**
 * The layer's mask read at the granularity of sparsity blocks. A mask cell
 * covers `ratio` × `ratio` blocks, so every question is answered from the
 * cells, with per-row prefix counts built once per row. Block row r of the product
 * holds query tokens offset + r·block onwards; where the offset is not a
 * whole number of cells a block row can straddle two cell rows, and keeps
 * what either keeps.
 */
class BlockMask {
  /** prefix[(head × rows + cellRow) × (cols + 1) + c]: kept cells among the first c of that cell row, built when the row is first read. */
  private readonly prefix: Uint16Array;
  private readonly built: Uint8Array;

  constructor(
    private readonly mask: AttentionMask,
    private readonly geometry: { readonly ratio: number; readonly blockTokens: number; readonly offsetTokens: number },
  ) {
    this.prefix = new Uint16Array(mask.heads * mask.rows * (mask.cols + 1));
    this.built = new Uint8Array(mask.heads * mask.rows);
  }

  /** Where the prefix counts of a cell row start, building them on first use. */
  private prefixLine(head: number, cellRow: number): number {
    const { rows, cols, cells } = this.mask;
    const line = head * rows + cellRow;
    const start = line * (cols + 1);
    if (this.built[line] === 0) {
      for (let col = 0; col < cols; col++) this.prefix[start + col + 1] = this.prefix[start + col]! + cells[line * cols + col]!;
      this.built[line] = 1;
    }
    return start;
  }

  /** First and last cell row a block row's tokens fall in. */
  private cellRows(row: number): readonly [number, number] {
    const { blockTokens, offsetTokens, ratio } = this.geometry;
    const cellTokens = blockTokens * ratio;
    const first = offsetTokens + row * blockTokens;
    return [Math.floor(first / cellTokens), Math.floor((first + blockTokens - 1) / cellTokens)];
  }

  private cell(head: number, cellRow: number, cellCol: number): boolean {
    return this.mask.cells[(head * this.mask.rows + cellRow) * this.mask.cols + cellCol] === 1;
  }

  /** Whether any cell row in [firstRow, lastRow] keeps the cell column. */
  private keptAny(head: number, cellRows: readonly [number, number], cellCol: number): boolean {
    for (let cellRow = cellRows[0]; cellRow <= cellRows[1]; cellRow++) if (this.cell(head, cellRow, cellCol)) return true;
    return false;
  }

  /**
   * The cells that block rows [0, rows) of the first `heads` heads read
   * among their first `columns`, with the reading's geometry: all that the
   * other methods can answer for such a product, as a string (the cells by
   * their SHA-256).
   */
  readCells(heads: number, rows: number, columns: number): string {
    const { ratio, blockTokens, offsetTokens } = this.geometry;
    const [firstRow] = this.cellRows(0);
    const [, lastRow] = this.cellRows(rows - 1);
    const cellCols = Math.min(this.mask.cols, ceilDiv(columns, ratio));
    const read = new Uint8Array(heads * (lastRow - firstRow + 1) * cellCols);
    let at = 0;
    for (let head = 0; head < heads; head++) {
      for (let cellRow = firstRow; cellRow <= lastRow; cellRow++) {
        const line = (head * this.mask.rows + cellRow) * this.mask.cols;
        read.set(this.mask.cells.subarray(line, line + cellCols), at);
        at += cellCols;
      }
    }
    return `${ratio} ${blockTokens} ${offsetTokens} ${firstRow}-${lastRow}x${cellCols} ${createHash('sha256').update(read).digest('base64')}`;
  }

  /** Kept blocks of a block row among its first `columns`. */
  rowCount(head: number, row: number, columns: number): number {
    const { ratio } = this.geometry;
    const cellRows = this.cellRows(row);
    const full = Math.floor(columns / ratio);
    const rest = columns - full * ratio;
    if (cellRows[0] === cellRows[1]) {
      const line = this.prefixLine(head, cellRows[0]);
      return this.prefix[line + full]! * ratio + (rest > 0 && this.cell(head, cellRows[0], full) ? rest : 0);
    }
    let kept = 0;
    for (let cellCol = 0; cellCol * ratio < columns; cellCol++) if (this.keptAny(head, cellRows, cellCol)) kept += Math.min(ratio, columns - cellCol * ratio);
    return kept;
  }

  /** Block columns among the first `columns` that any block row in [first, end) keeps. */
  usedColumns(head: number, first: number, end: number, columns: number): number[] {
    const { ratio } = this.geometry;
    const used: number[] = [];
    const cellRows = [this.cellRows(first)[0], this.cellRows(end - 1)[1]] as const;
    for (let cellCol = 0; cellCol * ratio < columns; cellCol++) {
      if (!this.keptAny(head, cellRows, cellCol)) continue;
      for (let column = cellCol * ratio; column < Math.min((cellCol + 1) * ratio, columns); column++) used.push(column);
    }
    return used;
  }

  /** Maximal runs [first, end) of kept blocks in a block row, among its first `columns`. */
  keptRuns(head: number, row: number, columns: number): Array<readonly [number, number]> {
    const { ratio } = this.geometry;
    const cellRows = this.cellRows(row);
    const runs: Array<readonly [number, number]> = [];
    let start = -1;
    for (let cellCol = 0; cellCol * ratio < columns; cellCol++) {
      const kept = this.keptAny(head, cellRows, cellCol);
      if (kept && start < 0) start = cellCol * ratio;
      if (!kept && start >= 0) {
        runs.push([start, cellCol * ratio]);
        start = -1;
      }
    }
    // A run that reaches the last column ends there, even where the last cell is cut short.
    if (start >= 0) runs.push([start, columns]);
    return runs;
  }
}

/** Block masks are pure functions of a mask and its reading: built once per mask (every head, layer after layer, step after step). */
const blockMasks = new WeakMap<AttentionMask, Map<string, BlockMask>>();

function cachedBlockMask(mask: AttentionMask, geometry: { ratio: number; blockTokens: number; offsetTokens: number }): BlockMask {
  let byGeometry = blockMasks.get(mask);
  if (byGeometry === undefined) {
    byGeometry = new Map();
    blockMasks.set(mask, byGeometry);
  }
  const key = `${geometry.ratio} ${geometry.blockTokens} ${geometry.offsetTokens}`;
  let found = byGeometry.get(key);
  if (found === undefined) {
    found = new BlockMask(mask, geometry);
    byGeometry.set(key, found);
  }
  return found;
}

function blockMask(step: Step, context: GenerationContext, dims: AttentionDims, issues: LayerIssues): BlockMask | undefined {
  const layer = step.layer as LayerOf<'attention_mm'>;
  const parameter = layer.param[0];
  if (parameter === undefined) return undefined;
  if (!issues.require(context.masks !== undefined, 'param[0]', () => `needs the attention mask "${parameter.name}"; give the mask directory (--masks)`)) return undefined;
  const mask = context.masks!(parameter.name, layer.name);
  const { blockSize, maskBlockTokens } = context.hw.sparsity;
  const ratio = maskBlockTokens / blockSize;
  const columns = maskColumns(dims);
  const lastToken = dims.offsetTokens + dims.mBlocks * blockSize;
  const fits = mask.heads >= dims.heads && mask.rows * maskBlockTokens >= lastToken && mask.cols * ratio >= columns;
  const tokens = dims.offsetTokens === 0 ? `${dims.m} tokens` : `${dims.m} tokens after ${dims.offsetTokens}`;
  issues.require(fits, 'param[0]', () => `mask "${parameter.name}" has shape (${mask.heads}, ${mask.rows}, ${mask.cols}), too small for ${dims.heads} heads and ${tokens} in cells of ${maskBlockTokens}`);
  return fits ? cachedBlockMask(mask, { ratio, blockTokens: blockSize, offsetTokens: dims.offsetTokens }) : undefined;
}

/** One row group of a head, with the rows and columns the mask keeps. */
interface RowGroup {
  readonly head: number;
  readonly first: number;
  readonly end: number;
  /** Kept blocks per row of the group (QKᵀ: of the N columns; S·V: of the K columns). */
  readonly rowCounts: readonly number[];
  /** Block columns of the B operand the group multiplies. */
  readonly columns: readonly number[];
  /** 1-based position among the head's groups that have work, and their number. */
  readonly ordinal: number;
  readonly count: number;
}

function emit(sink: InstructionSink, plan: Plan): void {
  for (let head = 0; head < plan.heads; head++) {
    const groups = rowGroups(plan, head);
    for (const group of groups) {
      emitRowLoads(sink, plan, group);
      const lastColumn = emitProducts(sink, plan, group);
      emitRowResults(sink, plan, group, lastColumn);
    }
  }
}

/**
 * The head's row groups that have any work. Every group of a causal mask
 * has; a group whose rows the mask empties entirely is skipped, with its
 * neighbours chained directly (FlightLLM's generator cannot run such a mask).
 */
function rowGroups(plan: Plan, head: number): RowGroup[] {
  const rowsPerGroup = plan.hw.mpe.matrixMatrix.parallelism.m / plan.hw.sparsity.blockSize;
  const countColumns = plan.mode === 'qkt' ? plan.nBlocks : plan.kBlocks;
  const found: Array<Omit<RowGroup, 'ordinal' | 'count'>> = [];
  const allColumns = Array.from({ length: plan.nBlocks }, (_, column) => column);
  for (let first = 0; first < plan.mBlocks; first += rowsPerGroup) {
    const end = Math.min(first + rowsPerGroup, plan.mBlocks);
    const rowCounts: number[] = [];
    for (let row = first; row < end; row++) rowCounts.push(plan.mask.rowCount(head, row, countColumns));
    const columns = plan.mode === 'qktv' ? allColumns : plan.mask.usedColumns(head, first, end, plan.nBlocks);
    if (plan.mode === 'qktv' || columns.length > 0) found.push({ head, first, end, rowCounts, columns });
  }
  return found.map((group, index) => ({ ...group, ordinal: index + 1, count: found.length }));
}

/** Rows of the group that produce output: QKᵀ skips rows the mask empties. */
function outputRows(plan: Plan, group: RowGroup): number[] {
  const rows: number[] = [];
  for (let row = group.first; row < group.end; row++) if (plan.mode === 'qktv' || (group.rowCounts[row - group.first] ?? 0) > 0) rows.push(row);
  return rows;
}

/** A-buffer loads of the group: Q rows, or the kept runs of each softmax row plus a zero fill. */
function emitRowLoads(sink: InstructionSink, plan: Plan, group: RowGroup): void {
  const { hw } = plan;
  const blockBytes = hw.sparsity.blockSize ** 2;
  const channels = hw.buffers.a.hbmChannels.count;
  const headBase = plan.address.a + group.head * plan.m * plan.k;
  let pendingWait = when(group.ordinal > 1, T.MM);
  const emitLoad = (f: { lengthBytes: number; hbmAddress: number; bankAddress: number; hbmChannel: number; zeroFill: boolean }) => {
    sink.load(
      load({ target: 'a', wait: pendingWait, lengthBytes: f.lengthBytes, hbmAddress: f.hbmAddress, bankAddress: f.bankAddress, hbmChannel: f.hbmChannel, zeroFill: f.zeroFill, parallelChannels: channels, bandwidthRatio: plan.precision.aRatio }),
    );
    pendingWait = 0;
  };
  for (const row of outputRows(plan, group)) {
    const hbmChannel = row % channels;
    if (plan.mode === 'qkt') {
      emitLoad({ lengthBytes: blockBytes * plan.kBlocks, hbmAddress: headBase + row * plan.kBlocks * blockBytes, bankAddress: 0, hbmChannel, zeroFill: false });
      continue;
    }
    const kept = group.rowCounts[row - group.first] ?? 0;
    if (kept < plan.kBlocks) emitLoad({ lengthBytes: blockBytes * (plan.kBlocks - kept), hbmAddress: 0, bankAddress: 0, hbmChannel, zeroFill: true });
    for (const [first, end] of plan.mask.keptRuns(group.head, row, plan.kBlocks)) {
      emitLoad({ lengthBytes: blockBytes * (end - first), hbmAddress: headBase + (row * plan.kBlocks + first) * blockBytes, bankAddress: first, hbmChannel, zeroFill: false });
    }
  }
}

/** The key/value head a query head reads. */
function kvHeadOf(plan: { heads: number; kvHeads: number }, head: number): number {
  return Math.floor(head / (plan.heads / plan.kvHeads));
}

/** One B-operand load and one MM per column; returns the last column. */
function emitProducts(sink: InstructionSink, plan: Plan, group: RowGroup): number {
  const { hw } = plan;
  const blockBytes = hw.sparsity.blockSize ** 2;
  const total = group.columns.length;
  const outputBlocked = group.ordinal > plan.outputDepth;
  const hasNextGroup = group.ordinal < group.count;
  let index = 0;
  for (const column of group.columns) {
    index++;
    const bank = (column * plan.bColumnWords) % hw.buffers.b.depthWords;
    sink.load(
      load({
        target: 'b',
        wait: when(index > plan.inputDepth, T.MM),
        release: T.MM,
        lengthBytes: blockBytes * plan.kBlocks,
        hbmAddress: plan.address.b + kvHeadOf(plan, group.head) * plan.k * plan.n + column * plan.kBlocks * blockBytes,
        bankAddress: bank,
        // Kᵀ and V live on the A buffer's channels, so this load crosses channels.
        hbmChannel: column % hw.buffers.a.hbmChannels.count,
        crossChannel: true,
        parallelChannels: 1,
        bandwidthRatio: plan.precision.bRatio,
      }),
    );
    const last = index === total;
    sink.matrix(
      Module.MM,
      matrix({
        wait: T.LD | when(outputBlocked && index === 1, plan.fused ? T.MISC : T.ST),
        release: when(index + plan.inputDepth <= total || (last && hasNextGroup), T.LD) | when(last, plan.fused ? T.MISC : T.ST),
        kBlocks: plan.kBlocks,
        bAddress: bank,
        outAddress: (column * plan.nBlocks) % hw.buffers.global.depthWords,
        rate: plan.precision.matrixRate,
      }),
    );
  }
  return group.columns[total - 1] ?? 0;
}

/** Per output row: the fused softmax (one MISC per token row) and the store. */
function emitRowResults(sink: InstructionSink, plan: Plan, group: RowGroup, lastColumn: number): void {
  const { hw } = plan;
  const blockBytes = hw.sparsity.blockSize ** 2;
  const channels = hw.buffers.global.hbmChannels.count;
  const releasesEngine = group.ordinal + plan.outputDepth <= group.count;
  // Bank and HBM addresses follow FlightLLM's generator, which takes them from the group's last column.
  const bank = (lastColumn * plan.nBlocks) % hw.buffers.global.depthWords;
  const rows = outputRows(plan, group);
  rows.forEach((row, position) => {
    const isFirst = position === 0;
    const isLast = position === rows.length - 1;
    const kept = plan.mode === 'qkt' ? (group.rowCounts[row - group.first] ?? 0) : plan.nBlocks;
    if (plan.fused) {
      for (let tokenRow = 0; tokenRow < hw.sparsity.blockSize; tokenRow++) {
        const lastOfRow = tokenRow === hw.sparsity.blockSize - 1;
        sink.misc(
          misc('softmax', {
            wait: when(tokenRow === 0 && isFirst, T.MM),
            release: when(lastOfRow, T.ST) | when(lastOfRow && isLast && releasesEngine, T.MM),
            kBlocks: kept,
            inAAddress: bank,
            outAddress: bank,
            rate: plan.precision.vectorRate,
          }),
        );
      }
    }
    sink.store(
      store({
        wait: plan.fused ? T.MISC : when(isFirst, T.MM),
        release: when(!plan.fused && isLast && releasesEngine, T.MM),
        lengthBytes: kept * blockBytes,
        hbmAddress: plan.address.output + group.head * plan.n * plan.m + (row * plan.nBlocks + lastColumn) * blockBytes,
        bankAddress: bank,
        hbmChannel: row % channels,
        parallelChannels: channels,
        bandwidthRatio: plan.precision.outputRatio,
      }),
    );
  });
}
