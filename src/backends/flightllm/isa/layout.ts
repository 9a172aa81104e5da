/*
 * The accelerator's instruction set as data: six instruction kinds, each a
 * fixed number of 32-bit words, with every field located by bit slices.
 * This matches FlightLLM's ISA (profile/inst_gen/isa.py) bit for bit, so our
 * binaries can be compared with its output.
 */

/** The hardware modules, in the order the ISA numbers them. One instruction kind per module. */
export const MODULES = ['LD', 'ST', 'MM', 'MV', 'MISC', 'SYS'] as const;
export type ModuleName = (typeof MODULES)[number];

/** Module indices, for typed arrays and token masks (bit `1 << index`). */
export const Module = { LD: 0, ST: 1, MM: 2, MV: 3, MISC: 4, SYS: 5 } as const satisfies Record<ModuleName, number>;
export type ModuleId = (typeof Module)[ModuleName];
export const MODULE_COUNT = MODULES.length;

/**
 * A slice of a field: [word index, most significant bit, least significant bit].
 * A field spanning several words lists its least significant slice first.
 */
export type Slice = readonly [word: number, msb: number, lsb: number];

export interface InstructionLayout {
  readonly opcode: number;
  readonly words: number;
  readonly fields: Readonly<Record<string, readonly Slice[]>>;
  /** Bits no field uses; they encode as zero. */
  readonly reserved: readonly Slice[];
}

const header = { opcode: [[0, 31, 28]], wait: [[0, 27, 23]], release: [[0, 22, 18]] } as const;

const matrix = {
  ...header,
  kBlocks: [[0, 17, 4]],
  outputFlag: [[0, 3, 3]],
  biasFlag: [[0, 2, 2]],
  reluFlag: [[0, 1, 1]],
  sparseFlag: [[0, 0, 0]],
  biasAddress: [[1, 31, 24], [2, 3, 0]],
  metaAddress: [[1, 23, 12]],
  fsbAddress: [[1, 11, 0]],
  aAddress: [[2, 27, 16]],
  bAddress: [[2, 15, 4]],
  outAddress: [[3, 11, 0]],
} as const;

export const LAYOUTS = {
  LD: {
    opcode: 0b0001,
    words: 7,
    fields: {
      ...header,
      target: [[0, 17, 15]],
      hbmChannel: [[0, 14, 12]],
      bankAddress: [[0, 11, 0]],
      sourceStride1d: [[1, 31, 0], [2, 1, 0]],
      sourceStride2d: [[2, 31, 2], [3, 3, 0]],
      sourceStride3d: [[3, 31, 4], [4, 5, 0]],
      hbmAddress: [[4, 31, 6], [5, 7, 0]],
      loop1d: [[5, 31, 24]],
      loop2d: [[5, 23, 16]],
      loop3d: [[5, 15, 8]],
      zeroFill: [[6, 25, 25]],
      hbmType: [[6, 24, 23]],
      length1d: [[6, 22, 0]],
    },
    reserved: [[6, 31, 26]],
  },
  ST: {
    opcode: 0b0010,
    words: 3,
    fields: {
      ...header,
      bankAddress: [[0, 17, 6]],
      loop1d: [[0, 5, 1]],
      rowScatter: [[0, 0, 0]],
      hbmAddress: [[1, 31, 0], [2, 1, 0]],
      hbmType: [[2, 29, 28]],
      hbmChannel: [[2, 27, 25]],
      length1d: [[2, 24, 2]],
    },
    reserved: [[2, 31, 30]],
  },
  MM: { opcode: 0b0011, words: 4, fields: matrix, reserved: [[2, 31, 28], [3, 31, 12]] },
  MV: { opcode: 0b0100, words: 4, fields: matrix, reserved: [[2, 31, 28], [3, 31, 12]] },
  MISC: {
    opcode: 0b0101,
    words: 3,
    fields: {
      ...header,
      inAAddress: [[0, 17, 6]],
      maskFlag: [[0, 5, 4]],
      operation: [[0, 3, 0]],
      inBAddress: [[1, 31, 20]],
      outAddress: [[1, 19, 8]],
      kBlocks: [[2, 31, 18]],
    },
    reserved: [[1, 7, 0], [2, 17, 0]],
  },
  SYS: { opcode: 0b1111, words: 1, fields: header, reserved: [[0, 17, 0]] },
} as const satisfies Record<ModuleName, InstructionLayout>;

/** Buffers a load can target, numbered by the LD `target` field. */
export const LOAD_TARGETS = ['b', 'meta', 'bias', 'fsb', 'a', 'global'] as const;
export type LoadTarget = (typeof LOAD_TARGETS)[number];

/** Vector-engine operations, numbered by the MISC `operation` field. */
export const MISC_OPERATIONS = ['eltwise_add', 'eltwise_mul', 'softmax', 'layernorm', 'rms_norm', 'silu'] as const;
export type MiscOperation = (typeof MISC_OPERATIONS)[number];
