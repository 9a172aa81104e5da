import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileModel, generatedMasks } from '../../../../src/compiler/index.js';
import { emitStep, planProgram, type Program } from '../../../../src/backends/flightllm/instgen/index.js';
import type { AttentionMask, Ir, MaskLookup } from '../../../../src/ir/index.js';
import { simulateProgram } from '../../../../src/backends/flightllm/engine/index.js';
import { RecordingSink, tinyModel, vhk158Hardware } from '../../../helpers.js';
import { compileTarget } from '../../../../src/backends/index.js';

/*
 * A step whose plan signature an earlier step shares replays that step's
 * recorded instructions. Two promises make that safe, checked here on
 * prompts, decodes and a mixed batch of the two-layer test model: equal
 * signatures mean equal instructions but for their addresses, and a program
 * with its steps replayed simulates to the same figures, to the last bit,
 * as the same program generated step by step.
 */

const hw = vhk158Hardware();
const model = tinyModel();
const masks = generatedMasks(model, compileTarget(hw));

const IRS: Record<string, Ir> = {
  'a prompt of 200 tokens': compileModel(model, { stage: 'prefill', tokens: 200, target: compileTarget(hw) }).ir,
  'a decode at context 513': compileModel(model, { stage: 'decode', tokens: 513, target: compileTarget(hw) }).ir,
  'a batch of two decodes and a prompt chunk': compileModel(model, {
    batch: { sequences: [{ newTokens: 1, context: 40 }, { newTokens: 1, context: 40 }, { newTokens: 64, context: 64 }] },
    target: compileTarget(hw),
  }).ir,
};

/** Every instruction of one step, address fields left out, as one string. */
function stepStream(program: Program, index: number): string {
  const sink = new RecordingSink();
  emitStep(program, index, sink);
  const withoutAddresses = sink.instructions.map(({ module, wait, release, fields }) => ({
    module,
    wait,
    release,
    fields: Object.fromEntries(Object.entries(fields).filter(([key]) => !key.endsWith('Address'))),
  }));
  return JSON.stringify(withoutAddresses);
}

/** The program with no step signed: every step is generated. */
function unsigned(program: Program): Program {
  return { steps: program.steps.map(({ info, planned }) => ({ info, planned: { emit: (sink) => planned.emit(sink) } })) };
}

/** Steps of a program grouped by signature (inner steps only: the first and last are framed differently). */
function bySignature(program: Program): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  program.steps.forEach(({ info, planned }, index) => {
    if (planned.signature === undefined || index === 0 || index === program.steps.length - 1) return;
    const key = `${info.type} ${planned.signature}`;
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  return groups;
}

describe('replaying steps with equal plan signatures', () => {
  for (const [what, ir] of Object.entries(IRS)) {
    const program = planProgram(ir, hw, { masks });

    test(`${what}: steps with equal signatures emit the same instructions but for their addresses`, () => {
      const repeated = [...bySignature(program).values()].filter((steps) => steps.length > 1);
      // Both transformer layers run the same linear layers: without repeats the check would be empty.
      assert.ok(repeated.length > 0, 'no two steps share a signature');
      for (const steps of repeated) {
        const first = stepStream(program, steps[0]!);
        for (const other of steps.slice(1)) assert.equal(stepStream(program, other), first, `step ${other} "${program.steps[other]!.info.name}" against step ${steps[0]}`);
      }
    });

    test(`${what}: simulates to the same figures replayed as generated step by step`, () => {
      assert.deepEqual(simulateProgram(program, hw), simulateProgram(unsigned(program), hw));
    });
  }
});

describe('the signature of an attention product', () => {
  const ir = compileModel(model, { stage: 'prefill', tokens: 200, target: compileTarget(hw) }).ir;
  const attentionSignatures = (lookup: MaskLookup) =>
    planProgram(ir, hw, { masks: lookup })
      .steps.filter(({ info }) => info.type === 'attention_mm')
      .map(({ planned }) => planned.signature);
  /** Layer 1's mask is layer 0's with one cell flipped, at (cell row, cell column) of head 0. */
  const flipped = (row: number, column: number): MaskLookup => {
    const base = masks('attention_mask_0.mask', '');
    const cells = base.cells.slice();
    cells[row * base.cols + column] = 1 - cells[row * base.cols + column]!;
    const changed: AttentionMask = { ...base, cells };
    return (parameterName) => (parameterName === 'attention_mask_1.mask' ? changed : base);
  };
  const cellTokens = hw.sparsity.maskBlockTokens;
  const readRows = Math.ceil(200 / cellTokens);

  test('follows a mask cell the product reads', () => {
    const [qkt0, qktv0, qkt1, qktv1] = attentionSignatures(flipped(readRows - 1, 0));
    assert.notEqual(qkt1, qkt0);
    assert.notEqual(qktv1, qktv0);
  });

  test('ignores mask cells beyond the tokens the product reads', () => {
    const base = masks('attention_mask_0.mask', '');
    assert.ok(base.rows > readRows, 'the mask must reach past the prompt for this check');
    const [qkt0, qktv0, qkt1, qktv1] = attentionSignatures(flipped(readRows, 0));
    assert.equal(qkt1, qkt0);
    assert.equal(qktv1, qktv0);
  });
});
