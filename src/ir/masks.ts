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
  try {
    array = parseNpy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (error) {
    throw new MaskError({ what: `malformed attention mask${forLayer}`, file: path, detail: `${(error as Error).message}.` });
  }
  if (!['b1', 'u1', 'i1'].includes(array.dtype) || array.shape.length !== 3 || array.fortranOrder) {
    throw new MaskError({
      what: `malformed attention mask${forLayer}`,
      file: path,
      detail: `expected a C-ordered bool array of shape (heads, blocks, blocks), got dtype ${array.dtype} and shape (${array.shape.join(', ')}).`,
    });
  }
  const [heads, rows, cols] = array.shape as [number, number, number];
  const values = array.data as unknown as ArrayLike<number | boolean>;
  const cells = new Uint8Array(values.length);
  for (let index = 0; index < values.length; index++) cells[index] = values[index] ? 1 : 0;
  return { heads, rows, cols, cells };
}
