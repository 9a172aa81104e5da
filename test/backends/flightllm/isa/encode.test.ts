import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeInstruction,
  encodeInstruction,
  fieldToMask,
  fieldWidth,
  fromHex,
  LAYOUTS,
  maskToField,
  maskToNames,
  Module,
  MODULES,
  toHex,
  tokenMask,
  type ModuleName,
} from '../../../../src/backends/flightllm/isa/index.js';

/** Every field of an instruction kind except the opcode, with its width. */
function fieldsOf(kind: ModuleName): Array<[string, number]> {
  return Object.entries(LAYOUTS[kind].fields)
    .filter(([name]) => name !== 'opcode')
    .map(([name, slices]) => [name, fieldWidth(slices)]);
}

/** Largest valid value of a field: the widest mask for tokens, all ones otherwise. */
function maximum(kind: ModuleName, name: string, width: number): number {
  if (name === 'wait' || name === 'release') return 0b111111 & ~(1 << Module[kind]);
  return 2 ** width - 1;
}

describe('instruction layouts', () => {
  for (const kind of MODULES) {
    test(`${kind}: fields and reserved bits cover every bit of its ${LAYOUTS[kind].words} words exactly once`, () => {
      const layout = LAYOUTS[kind];
      const owners = new Map<string, string>();
      const fields = Object.entries(layout.fields) as Array<[string, ReadonlyArray<readonly [number, number, number]>]>;
      const slices = [...fields.flatMap(([name, parts]) => parts.map((part) => [name, part] as const)), ...layout.reserved.map((part) => ['reserved', part] as const)];
      for (const [name, [word, msb, lsb]] of slices) {
        assert.ok(word < layout.words && msb >= lsb && msb <= 31, `${kind}.${name} slice [${word}, ${msb}, ${lsb}] is out of range`);
        for (let bit = lsb; bit <= msb; bit++) {
          const key = `${word}:${bit}`;
          assert.equal(owners.get(key), undefined, `${kind} bit ${key} belongs to both ${owners.get(key)} and ${name}`);
          owners.set(key, name);
        }
      }
      assert.equal(owners.size, layout.words * 32);
    });
  }
});

describe('encoding', () => {
  for (const kind of MODULES) {
    test(`${kind}: every field round-trips at zero and at its maximum`, () => {
      for (const [name, width] of fieldsOf(kind)) {
        for (const value of [0, maximum(kind, name, width)]) {
          const words = encodeInstruction(kind, { [name]: value });
          const decoded = decodeInstruction(words);
          assert.equal(decoded.kind, kind);
          assert.equal(decoded.fields[name], value, `${kind}.${name} = ${value}`);
          for (const [other] of fieldsOf(kind)) if (other !== name) assert.equal(decoded.fields[other], 0, `${kind}.${other} disturbed by ${name}`);
        }
      }
    });

    test(`${kind}: all fields at their maximum at once decode unchanged`, () => {
      const values = Object.fromEntries(fieldsOf(kind).map(([name, width]) => [name, maximum(kind, name, width)]));
      assert.deepEqual(decodeInstruction(encodeInstruction(kind, values)).fields, { opcode: LAYOUTS[kind].opcode, ...values });
    });

    test(`${kind}: a value past a field's range, or a token to itself, is refused`, () => {
      for (const [name, width] of fieldsOf(kind).filter(([field]) => field !== 'wait' && field !== 'release')) {
        assert.throws(() => encodeInstruction(kind, { [name]: 2 ** width }), /does not fit/);
        assert.throws(() => encodeInstruction(kind, { [name]: -1 }), /does not fit/);
      }
      assert.throws(() => encodeInstruction(kind, { wait: tokenMask(Module[kind]) }), /itself/);
    });
  }

  test('a field split across words keeps its low bits in the first slice', () => {
    // LD hbmAddress: bits 0..25 in word 4 [31:6], bits 26..33 in word 5 [7:0].
    const words = encodeInstruction('LD', { hbmAddress: 2 ** 26 + 5 });
    assert.equal(words[4], 5 * 2 ** 6);
    assert.equal(words[5], 1);
  });

  test('the opcode sits in the top four bits of the first word', () => {
    for (const kind of MODULES) assert.equal(encodeInstruction(kind, {})[0]! >>> 28, LAYOUTS[kind].opcode);
  });

  test('hex prints the last word first, eight digits each, and parses back', () => {
    const words = encodeInstruction('ST', { hbmAddress: 0xabcdef, length1d: 256, release: tokenMask(Module.MM) });
    const hex = toHex(words);
    assert.match(hex, /^[0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8}$/);
    assert.equal(hex.split(' ')[2], words[0]!.toString(16).padStart(8, '0'));
    assert.deepEqual(fromHex(hex), words);
  });

  test('an unknown opcode is refused when decoding', () => {
    assert.throws(() => decodeInstruction([0x6000_0000]), /unknown opcode/);
  });
});

describe('tokens', () => {
  test('a wait field lists the other five modules in ISA order, first one in the top bit', () => {
    // For MM the others are LD, ST, MV, MISC, SYS: LD is bit 4, SYS bit 0.
    assert.equal(maskToField(Module.MM, tokenMask(Module.LD)), 0b10000);
    assert.equal(maskToField(Module.MM, tokenMask(Module.SYS)), 0b00001);
    assert.equal(maskToField(Module.MM, tokenMask(Module.ST, Module.MISC)), 0b01010);
    assert.equal(maskToField(Module.LD, tokenMask(Module.SYS)), 0b00001);
    assert.equal(maskToField(Module.SYS, tokenMask(Module.LD)), 0b10000);
  });

  test('every token set of every module round-trips through the field encoding', () => {
    for (const kind of MODULES) {
      const own = Module[kind];
      for (let mask = 0; mask < 64; mask++) {
        if ((mask & (1 << own)) !== 0) {
          assert.throws(() => maskToField(own, mask), /itself/);
          continue;
        }
        assert.equal(fieldToMask(own, maskToField(own, mask)), mask);
      }
    }
  });

  test('masks name their modules in ISA order', () => {
    assert.deepEqual(maskToNames(tokenMask(Module.SYS, Module.LD, Module.MISC)), ['LD', 'MISC', 'SYS']);
  });
});
