import { LAYOUTS, Module, MODULES, type ModuleName, type Slice } from './layout.js';
import { fieldToMask, maskToField } from './tokens.js';

/** Field values of one instruction, by field name; `wait` and `release` are token masks. */
export type FieldValues = Readonly<Record<string, number>>;

export interface DecodedInstruction {
  readonly kind: ModuleName;
  readonly fields: Record<string, number>;
}

/** Width of a field in bits. */
export function fieldWidth(slices: readonly Slice[]): number {
  return slices.reduce((sum, [, msb, lsb]) => sum + msb - lsb + 1, 0);
}

/**
 * Encodes an instruction into its 32-bit words. Fields not given encode as
 * zero (the opcode is always set); a value that does not fit its field throws.
 */
export function encodeInstruction(kind: ModuleName, values: FieldValues): Uint32Array {
  const layout = LAYOUTS[kind];
  const words = new Uint32Array(layout.words);
  const own = Module[kind];
  for (const [name, slices] of Object.entries(layout.fields)) {
    let value = name === 'opcode' ? layout.opcode : (values[name] ?? 0);
    if (name === 'wait' || name === 'release') value = maskToField(own, value);
    const width = fieldWidth(slices);
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** width) {
      throw new RangeError(`${kind}.${name} = ${value} does not fit in ${width} bits`);
    }
    for (const [word, msb, lsb] of slices) {
      const sliceWidth = msb - lsb + 1;
      const part = value % 2 ** sliceWidth;
      value = Math.floor(value / 2 ** sliceWidth);
      words[word] = (words[word] ?? 0) + part * 2 ** lsb;
    }
  }
  return words;
}

/** Decodes an instruction from its words; the kind comes from the opcode. */
export function decodeInstruction(words: ArrayLike<number>): DecodedInstruction {
  const opcode = Math.floor((words[0] ?? 0) / 2 ** 28);
  const kind = MODULES.find((name) => LAYOUTS[name].opcode === opcode);
  if (kind === undefined) throw new RangeError(`unknown opcode 0b${opcode.toString(2).padStart(4, '0')}`);
  const layout = LAYOUTS[kind];
  if (words.length !== layout.words) throw new RangeError(`${kind} has ${layout.words} words, got ${words.length}`);
  const fields: Record<string, number> = {};
  for (const [name, slices] of Object.entries(layout.fields)) {
    let value = 0;
    let scale = 1;
    for (const [word, msb, lsb] of slices) {
      const sliceWidth = msb - lsb + 1;
      value += (Math.floor((words[word] ?? 0) / 2 ** lsb) % 2 ** sliceWidth) * scale;
      scale *= 2 ** sliceWidth;
    }
    fields[name] = name === 'wait' || name === 'release' ? fieldToMask(Module[kind], value) : value;
  }
  return { kind, fields };
}

/** Hex text of an instruction as FlightLLM prints it: last word first, 8 digits each. */
export function toHex(words: ArrayLike<number>): string {
  return Array.from(words, (word) => (word >>> 0).toString(16).padStart(8, '0'))
    .reverse()
    .join(' ');
}

/** Inverse of `toHex`. */
export function fromHex(text: string): Uint32Array {
  const groups = text.trim().split(/\s+/);
  if (!groups.every((group) => /^[0-9a-fA-F]{8}$/.test(group))) throw new RangeError(`not instruction hex: ${JSON.stringify(text)}`);
  return Uint32Array.from(groups.reverse(), (group) => Number.parseInt(group, 16));
}
