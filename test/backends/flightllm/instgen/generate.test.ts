import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { IrError } from '../../../../src/errors.js';
import { generateInstructions, planSteps, stepName } from '../../../../src/backends/flightllm/instgen/index.js';
import { loadIr, parseIr, type Layer } from '../../../../src/ir/index.js';
import { MODULES } from '../../../../src/backends/flightllm/isa/index.js';
import { NO_REFERENCE, RecordingSink, REFERENCE_DIR, tensor, thrown, tinyDecodeIr, vhk158Hardware } from '../../../helpers.js';

function generate(ir: Layer[]): RecordingSink {
  const sink = new RecordingSink();
  generateInstructions(parseIr(ir), vhk158Hardware(), sink);
  return sink;
}


describe('fusion', () => {
  test('SiLU fuses into the linear layer before it, an element-wise add into the one before it', () => {
    const { steps, issues } = planSteps(parseIr(tinyDecodeIr()));
    assert.deepEqual(issues, []);
    assert.deepEqual(steps.map(stepName), ['norm', 'gate+act', 'down+add']);
  });

  test('a RoPE chain is recognised by its data flow, whatever its layers are called', () => {
    const x = tensor('x', [1, 1, 256]);
    const q = tensor('q', [1, 1, 256]);
    const ir: Layer[] = [
      { name: 'in', type: 'input', input: [], output: [x], structure: {} },
      { name: 'proj', type: 'linear_mv', input: [x], output: [q], param: [{ ...tensor('w', [1, 256, 256]) }], structure: { bias_flag: false, mask_mode: 'none', relu_flag: false } },
      { name: 'p', type: 'eltwise', input: [q, tensor('sin', [1, 1, 256])], output: [tensor('a', [1, 1, 256])], structure: { eltwise_type: 'eltwise_mul' } },
      { name: 'r', type: 'eltwise', input: [q, tensor('cos', [1, 1, 256])], output: [tensor('b', [1, 1, 256])], structure: { eltwise_type: 'eltwise_mul' } },
      { name: 's', type: 'eltwise', input: [tensor('a', [1, 1, 256]), tensor('b', [1, 1, 256])], output: [tensor('y', [1, 1, 256])], structure: { eltwise_type: 'eltwise_add' } },
      { name: 'out', type: 'output', input: [tensor('y', [1, 1, 256])], output: [], structure: {} },
    ];
    assert.deepEqual(planSteps(parseIr(ir)).steps.map(stepName), ['proj+p+r+s']);
  });

  test('FlightLLM decode IR: 13 steps per decoder block, then the final norm and the LM head', { skip: NO_REFERENCE }, () => {
    // norm, Q+RoPE, K+RoPE, V, two cache appends, QKᵀ+softmax, S·V, out+residual, norm, gate+SiLU, up+product, down+residual.
    const { steps } = planSteps(loadIr(join(REFERENCE_DIR, 'ir_output', 'llama2_decode_token_256.yaml')));
    assert.equal(steps.length, 32 * 13 + 2);
    assert.equal(steps.filter((step) => step.fused.length === 3).length, 64);
    assert.equal(steps.filter((step) => step.layer.type === 'attention_mv' && step.fused[0]?.type === 'softmax').length, 32);
  });
});

describe('instruction streams', () => {
  test('every step opens with a load waiting for the previous SYS and closes with a store releasing its own', () => {
    const sink = generate(tinyDecodeIr());
    const byStep = new Map<number, typeof sink.instructions>();
    for (const i of sink.instructions) byStep.set(i.step, [...(byStep.get(i.step) ?? []), i]);
    for (const [step, list] of byStep) {
      const [first, lastStore, sys] = [list[0]!, list.at(-2)!, list.at(-1)!];
      assert.equal(first.module, 'LD');
      assert.equal(first.wait & (1 << 5), step === 0 ? 0 : 1 << 5, `step ${step} first load`);
      assert.equal(lastStore.module, 'ST');
      assert.ok((lastStore.release & (1 << 5)) !== 0);
      assert.equal(sys.module, 'SYS');
      assert.equal(sys.release, step === byStep.size - 1 ? 0 : 1);
    }
  });

  test('within every step, each module pair releases exactly as many tokens as it waits for', () => {
    const sink = generate(tinyDecodeIr());
    for (const step of sink.steps) {
      const released = new Map<string, number>();
      const waited = new Map<string, number>();
      for (const i of sink.instructions.filter((x) => x.step === step.index)) {
        MODULES.forEach((other, index) => {
          if ((i.release & (1 << index)) !== 0) released.set(`${i.module}->${other}`, (released.get(`${i.module}->${other}`) ?? 0) + 1);
          if ((i.wait & (1 << index)) !== 0) waited.set(`${other}->${i.module}`, (waited.get(`${other}->${i.module}`) ?? 0) + 1);
        });
      }
      // The SYS chain crosses steps: a step's SYS releases the next step's first load.
      released.delete('SYS->LD');
      waited.delete('SYS->LD');
      assert.deepEqual(Object.fromEntries([...released].sort()), Object.fromEntries([...waited].sort()), `step ${step.name}`);
    }
  });

  test('a matrix-vector projection streams one load per A channel per tile and K split', () => {
    // gate: K = 1024 (64 blocks of 16), N = 2048 (128 blocks). An MV tile is
    // 512 columns = 32 blocks, spread over 8 A channels in 4 loops. One K
    // split suffices: a channel's share of a tile is 64 blocks × 16 values/2 ×
    // 2 words ÷ 4 loops = 256 words, and 4096 / 256 ≥ 2. So 4 tiles × 8
    // channel loads, plus the input vector; one MV and one fused SiLU per tile.
    const sink = generate(tinyDecodeIr());
    assert.deepEqual(sink.counts(1), { LD: 1 + 4 * 8, MV: 4, MISC: 4, ST: 1, SYS: 1 });
  });

  test('a vector layer runs one load, MISC and store per row', () => {
    const sink = generate(tinyDecodeIr());
    assert.deepEqual(sink.counts(0), { LD: 1, MISC: 1, ST: 1, SYS: 1 });
  });
});

describe('layer rules', () => {
  test('a weight whose rows do not match the input is refused, naming the layer and field', () => {
    const ir = tinyDecodeIr();
    (ir[2] as { param: Array<{ shape: number[] }> }).param[0]!.shape = [1, 512, 2048];
    const error = thrown(IrError, () => generate(ir));
    assert.ok(error.issues.some((issue) => issue.path === 'layer 2 "gate".param[0].shape' && issue.message === 'weight rows (512) must equal the input\'s K (1024)'), error.message);
  });

  test('a dimension that is not a multiple of the block size is refused', () => {
    const ir = tinyDecodeIr({ ffn: 2040 });
    const error = thrown(IrError, () => generate(ir));
    assert.ok(error.issues.some((issue) => issue.message === 'N = 2040 must be a multiple of the block size 16'), error.message);
  });

  test('a dense weight with a sparse ratio below 1 is refused', () => {
    const ir = tinyDecodeIr();
    (ir[2] as { param: Array<{ sparse_ratio: number }> }).param[0]!.sparse_ratio = 0.5;
    assert.match(thrown(IrError, () => generate(ir)).message, /a dense weight \(sparse_flag false\) must have sparse_ratio 1, got 0\.5/);
  });

  test('prefill attention without masks asks for them', () => {
    const q = tensor('q', [2, 128, 128]);
    const ir: Layer[] = [
      { name: 'in', type: 'input', input: [], output: [q], structure: {} },
      {
        name: 'qkt',
        type: 'attention_mm',
        input: [q, tensor('k', [2, 128, 128])],
        output: [tensor('s', [2, 128, 128])],
        param: [{ name: 'attention_mask_0.mask', shape: [2, 2, 2], dtype: 'bool', addr: 0 }],
        structure: { bias_flag: false, mask_mode: 'qkt', relu_flag: false },
      },
      { name: 'out', type: 'output', input: [tensor('s', [2, 128, 128])], output: [], structure: {} },
    ];
    assert.match(thrown(IrError, () => generate(ir)).message, /layer 1 "qkt"\.param\[0\]: needs the attention mask "attention_mask_0\.mask"; give the mask directory \(--masks\)/);
  });

  test('every broken rule of every layer is reported in one error', () => {
    const ir = tinyDecodeIr({ ffn: 2040 });
    (ir[1] as { param: unknown[] }).param = [];
    const error = thrown(IrError, () => generate(ir));
    assert.ok(error.issues.length >= 2);
    assert.ok(error.issues.some((issue) => issue.path.startsWith('layer 1 "norm"')));
    assert.ok(error.issues.some((issue) => issue.path.startsWith('layer 2 "gate"')));
  });
});

describe('sparse weight streams', () => {
  /** A single linear layer with FSB-format weights (mask_mode fsb: weight, meta, fsb parameters). */
  function sparseLinear(type: 'linear_mm' | 'linear_mv', m: number): Layer[] {
    const [k, n] = [1024, 512];
    const x = tensor('x', [1, m, k]);
    const y = tensor('y', [1, m, n]);
    return [
      { name: 'in', type: 'input', input: [], output: [x], structure: {} },
      {
        name: 'proj',
        type,
        input: [x],
        output: [y],
        param: [
          { ...tensor('w', [1, k, n]), sparse_flag: true, sparse_ratio: 0.5 },
          { ...tensor('w.meta', [1, 1, k * n / 2]) },
          { ...tensor('w.fsb', [1, k / 16, n / 16]) },
        ],
        structure: { bias_flag: false, mask_mode: 'fsb', relu_flag: false },
      },
      { name: 'out', type: 'output', input: [y], output: [], structure: {} },
    ];
  }

  test('matrix-matrix: each weight load is preceded by its FSB and metadata loads, half the weight bytes', () => {
    const sink = generate(sparseLinear('linear_mm', 128));
    const loads = sink.instructions.filter((i) => i.module === 'LD');
    const weights = loads.filter((i) => i.fields['target'] === 'b');
    // K = 1024 is 64 blocks: one split. N = 512 is 32 block columns, one row group of 128 rows.
    assert.equal(weights.length, 32);
    for (const weight of weights) {
      const at = loads.indexOf(weight);
      assert.equal(loads[at - 2]?.fields['target'], 'fsb');
      assert.equal(loads[at - 2]?.fields['lengthBytes'], 64);
      assert.equal(loads[at - 1]?.fields['target'], 'meta');
      assert.equal(loads[at - 1]?.fields['lengthBytes'], (weight.fields['lengthBytes'] as number) / 2);
      assert.equal(weight.fields['lengthBytes'], 64 * 256);
      // 4-bit weights at half density: 8 / 4 / 0.5 = 4 times the bandwidth of dense int8.
      assert.equal(weight.fields['bandwidthRatio'], 4);
    }
  });

  test('matrix-vector: FSB and metadata loads come per A channel, before its weight load', () => {
    const sink = generate(sparseLinear('linear_mv', 1));
    const targets = sink.instructions.filter((i) => i.module === 'LD').map((i) => i.fields['target']);
    // The input vector, then for each MV instruction and each of the 8 A channels: fsb, meta, weights.
    assert.equal(targets[0], 'b');
    const perChannel = targets.slice(1);
    assert.equal(perChannel.length % 3, 0);
    for (let at = 0; at < perChannel.length; at += 3) assert.deepEqual(perChannel.slice(at, at + 3), ['fsb', 'meta', 'a']);
    assert.equal(perChannel.length / 3, 8 * sink.counts(0)['MV']!);
  });
});
