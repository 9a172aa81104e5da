import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseNpy } from 'npyjs';
import { MaskError } from '../errors.js';
import { describeFsError } from '../util/yaml.js';

/**
 * A block-sparse attention layout: for each head, which (query block, key
 * block) cells are computed. Cells are `maskBlockTokens` tokens on a side.
 */
export interface AttentionMask {
  readonly heads: number;
  readonly rows: number;
  readonly cols: number;
  /** Row-major [head][row][col]; 1 keeps the cell, 0 skips it. */
  readonly cells: Uint8Array;
}

/** Finds the mask a layer's mask parameter names. */
export type MaskLookup = (parameterName: string, layerName: string) => AttentionMask;

/** The directory FlightLLM keeps masks in: `attention_mask/` beside the IR file. */
export function defaultMaskDirectory(irPath: string): string {
  return join(dirname(irPath), 'attention_mask');
}

/** Mask lookup reading `<directory>/<parameter name>.npy`, each file read once. */
export function maskDirectory(directory: string): MaskLookup {
  const loaded = new Map<string, AttentionMask>();
  return (parameterName, layerName) => {
    const path = join(directory, `${parameterName}.npy`);
    let mask = loaded.get(path);
    if (mask === undefined) {
      mask = loadMask(path, layerName);
      loaded.set(path, mask);
    }
    return mask;
  };
}

/** Reads one `.npy` mask: a bool array of shape (heads, blocks, blocks). */
export function loadMask(path: string, layerName?: string): AttentionMask {
  const forLayer = layerName === undefined ? '' : ` for layer "${layerName}"`;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new MaskError({ what: `cannot read attention mask${forLayer}`, file: path, detail: `${describeFsError(error)} Point --masks at the directory holding the masks.` });
  }
  let array: ReturnType<typeof parseNpy>;
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const bools = readBoolsAsBytes(buffer);
  try {
    array = parseNpy(buffer);
  } catch (error) {
    throw new MaskError({ what: `malformed attention mask${forLayer}`, file: path, detail: `${(error as Error).message}.` });
  }
  const dtype = bools ? 'b1' : array.dtype;
  if (!['b1', 'u1', 'i1'].includes(dtype) || array.shape.length !== 3 || array.fortranOrder) {
    throw new MaskError({
      what: `malformed attention mask${forLayer}`,
      file: path,
      detail: `expected a C-ordered bool array of shape (heads, blocks, blocks), got dtype ${dtype} and shape (${array.shape.join(', ')}).`,
    });
  }
  const [heads, rows, cols] = array.shape as [number, number, number];
  const values = array.data as unknown as ArrayLike<number | boolean>;
  if (values instanceof Uint8Array && isZeroOne(values)) return { heads, rows, cols, cells: values };
  const cells = new Uint8Array(values.length);
  for (let index = 0; index < values.length; index++) cells[index] = values[index] ? 1 : 0;
  return { heads, rows, cols, cells };
}

function isZeroOne(values: Uint8Array): boolean {
  for (let index = 0; index < values.length; index++) if (values[index]! > 1) return false;
  return true;
}

/**
 * npyjs hands a bool array back as an array of JavaScript booleans, one
 * element at a time (a million for FlightLLM's 32 masks). numpy stores a bool
 * as one byte, 0 or 1, so the header's `'|b1'` (or `'<b1'`) is rewritten in
 * place to `'|u1'` and npyjs returns a byte view of the data instead. Only
 * the header is touched: its length sits at byte 8 (two bytes in format 1,
 * four in later formats). True when the array was a bool array.
 */
function readBoolsAsBytes(buffer: ArrayBuffer): boolean {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 12) return false;
  const view = new DataView(buffer);
  const [start, length] = bytes[6] === 1 ? [10, view.getUint16(8, true)] : [12, view.getUint32(8, true)];
  const end = Math.min(bytes.length, start + length);
  const QUOTE = 0x27;
  const [PIPE, LESS, B, U, ONE] = [0x7c, 0x3c, 0x62, 0x75, 0x31];
  for (let at = start; at + 5 <= end; at++) {
    if (bytes[at] === QUOTE && (bytes[at + 1] === PIPE || bytes[at + 1] === LESS) && bytes[at + 2] === B && bytes[at + 3] === ONE && bytes[at + 4] === QUOTE) {
      bytes[at + 1] = PIPE;
      bytes[at + 2] = U;
      return true;
    }
  }
  return false;
}
