import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dump } from 'js-yaml';
import { dump as dumpNpy } from 'npyjs';
import { IrError, MaskError } from '../../src/errors.js';
import { loadIr, loadMask, maskDirectory, parseIr } from '../../src/ir/index.js';
import { ContentCache } from '../../src/util/cache.js';
import { NO_REFERENCE, REFERENCE_DIR, temporaryDirectory, tinyDecodeIr } from '../helpers.js';

function thrown<T extends Error>(ErrorClass: new (...args: never[]) => T, run: () => unknown): T {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ErrorClass, `expected ${ErrorClass.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${ErrorClass.name}`);
}

describe('loading IR', () => {
  test('a FlightLLM decode IR file loads with all its layers', { skip: NO_REFERENCE }, () => {
    const ir = loadIr(join(REFERENCE_DIR, 'ir_output', 'llama2_decode_token_1024.yaml'));
    const yamlItems = readFileSync(join(REFERENCE_DIR, 'ir_output', 'llama2_decode_token_1024.yaml'), 'utf8').match(/^- name:/gm)?.length;
    assert.equal(ir.length, yamlItems);
    assert.equal(ir[0]?.type, 'input');
    assert.equal(ir.at(-1)?.type, 'output');
    assert.equal(ir.filter((layer) => layer.type === 'attention_mv').length, 64);
    assert.ok(Object.isFrozen(ir[5]));
  });

  test('an IR built in code validates', () => {
    assert.equal(parseIr(tinyDecodeIr()).length, 7);
  });

  test('malformed YAML is reported with file, line and column', () => {
    const file = join(temporaryDirectory(), 'bad.yaml');
    writeFileSync(file, '- name: a\n  type: input\n  input: [\n- name: b\n');
    const error = thrown(IrError, () => loadIr(file));
    assert.match(error.message, /bad\.yaml: malformed YAML in IR file: .* at line \d+, column \d+\./);
  });

  test('an unknown layer type is named with the layer and the types accepted', () => {
    const ir: unknown[] = tinyDecodeIr();
    ir[2] = { ...(ir[2] as object), type: 'conv2d' };
    const error = thrown(IrError, () => parseIr(ir, { file: 'model.yaml' }));
    assert.equal(error.issues.length, 1);
    assert.equal(error.issues[0]?.path, 'layer 2 "gate".type');
    assert.match(error.issues[0]?.message ?? '', /^unknown type "conv2d", expected one of input, output, linear_mm, linear_mv/);
    assert.match(error.message, /^model\.yaml: invalid IR: layer 2 "gate"\.type: unknown type "conv2d"/);
  });

  test('a tensor with a non-positive dimension is refused with its path', () => {
    const ir = tinyDecodeIr();
    (ir[1]!.input[0]!.shape as number[])[2] = 0;
    const error = thrown(IrError, () => parseIr(ir));
    assert.deepEqual(error.issues, [{ path: 'layer 1 "norm".input[0].shape[2]', message: 'expected a value > 0, got 0' }]);
  });

  test('a missing file is reported as such', () => {
    assert.match(thrown(IrError, () => loadIr('/nonexistent/ir.yaml')).message, /^\/nonexistent\/ir\.yaml: cannot read IR file: no such file\.$/);
  });

  test('the parse cache is keyed by content: an edited file is parsed again', () => {
    const directory = temporaryDirectory();
    const cache = new ContentCache(join(directory, 'cache'));
    const file = join(directory, 'ir.yaml');
    writeFileSync(file, dump(tinyDecodeIr()));
    assert.deepEqual(loadIr(file, { cache }), loadIr(file));
    const edited = tinyDecodeIr({ hidden: 2048 });
    writeFileSync(file, dump(edited));
    assert.deepEqual(loadIr(file, { cache })[1]?.input[0]?.shape, [1, 1, 2048]);
  });
});

describe('attention masks', () => {
  test('a FlightLLM mask loads as heads × blocks × blocks cells', { skip: NO_REFERENCE }, () => {
    const mask = loadMask(join(REFERENCE_DIR, 'ir_output', 'attention_mask', 'attention_mask_0.mask.npy'));
    assert.deepEqual([mask.heads, mask.rows, mask.cols], [32, 32, 32]);
    // Causal at block level: nothing above the diagonal.
    for (let head = 0; head < mask.heads; head++) for (let row = 0; row < mask.rows; row++) for (let col = row + 1; col < mask.cols; col++) assert.equal(mask.cells[(head * mask.rows + row) * mask.cols + col], 0);
  });

  test('a bool array written by npyjs reads back cell for cell', () => {
    const directory = temporaryDirectory();
    const cells = Uint8Array.from({ length: 2 * 3 * 3 }, (_, index) => (index % 4 === 0 ? 1 : 0));
    writeFileSync(join(directory, 'm.npy'), Buffer.from(dumpNpy(cells, [2, 3, 3], { dtype: 'b1' })));
    const mask = loadMask(join(directory, 'm.npy'));
    assert.deepEqual(mask.cells, cells);
  });

  test('a missing mask names the layer, the file and the option to fix it', () => {
    const error = thrown(MaskError, () => maskDirectory('/nowhere')('attention_mask_3.mask', 'round_0_attention_qkt_3'));
    assert.equal(error.message, '/nowhere/attention_mask_3.mask.npy: cannot read attention mask for layer "round_0_attention_qkt_3": no such file. Point --masks at the directory holding the masks.');
  });

  test('a mask that is not 3-D is refused with its shape', () => {
    const file = join(temporaryDirectory(), 'flat.npy');
    writeFileSync(file, Buffer.from(dumpNpy(Uint8Array.of(1, 0, 1, 0), [4], { dtype: 'b1' })));
    assert.match(thrown(MaskError, () => loadMask(file)).message, /expected a C-ordered bool array of shape \(heads, blocks, blocks\), got dtype b1 and shape \(4\)/);
  });

  test('a file that is not .npy is refused', () => {
    const file = join(temporaryDirectory(), 'junk.npy');
    writeFileSync(file, 'not numpy');
    assert.match(thrown(MaskError, () => loadMask(file)).message, /malformed attention mask: Not an \.npy file/);
  });
});
