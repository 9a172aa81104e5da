import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IrError } from '../../../src/errors.js';
import type { DpuHostHardware } from '../../../src/backends/index.js';
import type { Dtype, Layer, Tensor } from '../../../src/ir/index.js';
import { DPU_HOST_MODULES, moduleNamesOf, simulate } from '../../../src/backends/index.js';
import { parseProfileCsv, profileToCsv } from '../../../src/profiler/csv.js';
import { type Profile } from '../../../src/backends/profile.js';
import { inputAndNorm, shippedHardware, tensor, thrown, tinyDecodeIr } from '../../helpers.js';

function dpuHost(): DpuHostHardware {
  const hw = shippedHardware('u250');
  if (hw.kind !== 'dpu-host') throw new Error(`expected dpu-host hardware, got ${hw.kind}`);
  return hw;
}

const hw = dpuHost();
const elements = (t: Pick<Tensor, 'shape'>) => t.shape.reduce((a, b) => a * b, 1);
const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.abs(expected), `${what}: ${actual} vs ${expected}`);

/** One DPU call, from the hardware's figures: the weight stream or the MACs, whichever is longer, plus the call cost. */
function dpuCallMs(m: number, k: number, n: number, weightBits: number): number {
  const { ddr } = hw.card;
  const { dpu } = hw;
  const kernelBytesPerSecond = ((ddr.bandwidthGBps * 1e9) / ddr.channels) * dpu.ddrChannelsPerKernel * ddr.efficiency;
  const streamMs = ((k * n * weightBits) / 8 / kernelBytesPerSecond) * 1e3;
  const macsPerSecond = dpu.conv.inputChannels * dpu.conv.outputChannels * Math.min(m, dpu.conv.pixels) * dpu.clockMHz * 1e6 * dpu.efficiency;
  const computeMs = ((m * k * n) / macsPerSecond) * 1e3;
  return dpu.callOverheadUs * 1e-3 + Math.max(streamMs, computeMs);
}

/** One PCIe transfer of `bytes`. */
const pcieMs = (bytes: number) => hw.pcie.latencyUs * 1e-3 + (bytes / (hw.pcie.bandwidthGBps * 1e9 * hw.pcie.efficiency)) * 1e3;

/** One host operator moving `bytes` and doing `flops`. */
const hostMs = (bytes: number, flops: number) => hw.host.opOverheadUs * 1e-3 + Math.max((bytes / (hw.host.memoryBandwidthGBps * 1e9)) * 1e3, (flops / (hw.host.gflops * 1e9)) * 1e3);

const step = (profile: Profile, name: string) => profile.steps.find((s) => s.name === name)!;


/** A norm whose output two projections read, and an add of the two projections. */
function sharedInputIr(hidden = 512): Layer[] {
  const weight = (name: string) => ({ ...tensor(name, [1, hidden, hidden]), sparse_flag: false, sparse_ratio: 1 });
  const linear = (name: string, output: string): Layer => ({
    name,
    type: 'linear_mv',
    input: [tensor('xn', [1, 1, hidden])],
    output: [tensor(output, [1, 1, hidden])],
    param: [weight(`${name}.weight`)],
    structure: { bias_flag: false, mask_mode: 'none', relu_flag: false },
  });
  return [
    ...inputAndNorm(hidden),
    linear('q', 'qo'),
    linear('k', 'ko'),
    { name: 'add', type: 'eltwise', input: [tensor('qo', [1, 1, hidden]), tensor('ko', [1, 1, hidden])], output: [tensor('y', [1, 1, hidden])], structure: { eltwise_type: 'eltwise_add' } },
    { name: 'out', type: 'output', input: [tensor('y', [1, 1, hidden])], output: [], structure: {} },
  ];
}

describe('a DPU card beside its host', () => {
  const ir = tinyDecodeIr();
  const profile = simulate(ir, hw);

  test('a linear layer keeps the DPU busy for the call cost plus the longer of its weight stream and its MACs', () => {
    // gate: [1, 1024] × [1024, 2048], int8 weights streamed at 8 bits.
    const gate = step(profile, 'gate');
    assert.equal(gate.modules['DPU']!.count, 1);
    close(gate.modules['DPU']!.busyMs, dpuCallMs(1, 1024, 2048, 8), 'gate');
    // At batch 1 the weight stream is the longer of the two.
    const streamMs = ((1024 * 2048) / ((hw.card.ddr.bandwidthGBps * 1e9 * hw.card.ddr.efficiency) / hw.card.ddr.channels)) * 1e3;
    close(gate.modules['DPU']!.busyMs, hw.dpu.callOverheadUs * 1e-3 + streamMs, 'gate, weight-bound');
  });

  test('the DPU has no sparse mode: a pruned weight streams and multiplies densely', () => {
    // down keeps half its [2048, 1024] weights, but the DPU reads them all.
    close(step(profile, 'down').modules['DPU']!.busyMs, dpuCallMs(1, 2048, 1024, 8), 'down');
  });

  test('with many rows, the MACs bound the call, and only `pixels` rows run side by side', () => {
    const m = 512;
    const prefill: Layer[] = [
      { name: 'in', type: 'input', input: [], output: [tensor('x', [1, m, 1024])], structure: {} },
      {
        name: 'proj',
        type: 'linear_mm',
        input: [tensor('x', [1, m, 1024])],
        output: [tensor('p', [1, m, 1024])],
        param: [{ ...tensor('proj.weight', [1, 1024, 1024]), sparse_flag: false, sparse_ratio: 1 }],
        structure: { bias_flag: false, mask_mode: 'none', relu_flag: false },
      },
      { name: 'out', type: 'output', input: [tensor('p', [1, m, 1024])], output: [], structure: {} },
    ];
    const busy = step(simulate(prefill, hw), 'proj').modules['DPU']!.busyMs;
    close(busy, dpuCallMs(m, 1024, 1024, 8), 'proj');
    const { dpu } = hw;
    const computeMs = ((m * 1024 * 1024) / (dpu.conv.inputChannels * dpu.conv.outputChannels * dpu.conv.pixels * dpu.clockMHz * 1e6 * dpu.efficiency)) * 1e3;
    close(busy, dpu.callOverheadUs * 1e-3 + computeMs, 'proj, compute-bound');
  });

  test('every other layer runs on the host, bound by its memory or its arithmetic', () => {
    // The RMS norm reads and writes 1024 fp32 values and does 5 flops an element.
    const bytes = 2 * 1024 * (32 / 8);
    close(step(profile, 'norm').modules['HOST']!.busyMs, hostMs(bytes, 1024 * hw.host.flopsPerElement.layernorm), 'norm');
    for (const name of ['in', 'norm', 'act', 'add', 'out']) {
      const s = step(profile, name);
      assert.equal(s.modules['HOST']!.count, 1, name);
      assert.equal(s.modules['DPU']!.count, 0, name);
    }
  });

  test('a tensor crosses PCIe each time the other side needs it: xn and s to the card, g and d back', () => {
    const crossings = Object.fromEntries(profile.steps.map((s) => [s.name, s.modules['PCIE']!.count]));
    assert.deepEqual(crossings, { in: 0, norm: 0, gate: 1, act: 1, down: 1, add: 1, out: 0 });
    // Each at the tensor's IR width (int8: one byte an element).
    close(step(profile, 'gate').modules['PCIE']!.busyMs, pcieMs(1024), 'xn to the card');
    close(step(profile, 'act').modules['PCIE']!.busyMs, pcieMs(2048), 'g to the host');
  });

  test('a host tensor read by two DPU layers crosses PCIe once; two card tensors read by the host cross once each', () => {
    const shared = simulate(sharedInputIr(), hw);
    const crossings = Object.fromEntries(shared.steps.map((s) => [s.name, s.modules['PCIE']!.count]));
    assert.deepEqual(crossings, { in: 0, norm: 0, q: 1, k: 0, add: 2, out: 0 });
    assert.equal(shared.modules['PCIE']!.count, 3);
  });

  test('operations run one after another: the total is the sum of every operation, and steps follow each other', () => {
    const busy = DPU_HOST_MODULES.reduce((sum, name) => sum + profile.modules[name]!.busyMs, 0);
    close(profile.totalMs, busy, 'total');
    const stepSum = profile.steps.reduce((sum, s) => sum + Object.values(s.modules).reduce((a, f) => a + f.busyMs, 0), 0);
    close(profile.totalMs, stepSum, 'sum of steps');
    assert.equal(profile.steps[0]!.startMs, 0);
    for (let index = 1; index < profile.steps.length; index++) assert.equal(profile.steps[index]!.startMs, profile.steps[index - 1]!.endMs);
    assert.equal(profile.steps.at(-1)!.endMs, profile.totalMs);
    assert.equal(profile.instructionCount, DPU_HOST_MODULES.reduce((sum, name) => sum + profile.modules[name]!.count, 0));
  });

  test('the modules are DPU, HOST and PCIE, in that order, and the CSV has one row for each and TOTAL', () => {
    assert.deepEqual(profile.moduleNames, ['DPU', 'HOST', 'PCIE']);
    assert.deepEqual(moduleNamesOf(hw), ['DPU', 'HOST', 'PCIE']);
    const rows = parseProfileCsv(profileToCsv(profile));
    assert.ok(Array.isArray(rows), String(rows));
    assert.deepEqual(rows.map((row) => row.type), ['DPU', 'HOST', 'PCIE', 'TOTAL']);
    // tinyDecodeIr: 2 linear layers, 5 host operations, 4 crossings.
    assert.deepEqual(rows.map((row) => row.count), [2, 5, 4, 11]);
    for (const row of rows.slice(0, 3)) assert.ok(Math.abs(row.timeMs - profile.modules[row.type]!.busyMs) < 1e-6, row.type);
  });

  test('every layer, including the input and output markers, is a step', () => {
    assert.deepEqual(profile.steps.map((s) => s.name), ir.map((layer) => layer.name));
    // The embedding rows (fp32 on the host) and sampling over the last row.
    close(step(profile, 'in').modules['HOST']!.busyMs, hostMs(elements({ shape: [1, 1, 1024] }) * 4, 0), 'in');
    close(step(profile, 'out').modules['HOST']!.busyMs, hostMs(1024 * 4, 1024 * hw.host.flopsPerElement.sampling), 'out');
  });
});

describe('precision on the DPU', () => {
  const withDtypes = (dtypes: { activations?: Dtype; weights?: Dtype }): Layer[] =>
    tinyDecodeIr().map(
      (layer) =>
        ({
          ...layer,
          input: layer.input.map((t) => ({ ...t, dtype: dtypes.activations ?? t.dtype })),
          output: layer.output.map((t) => ({ ...t, dtype: dtypes.activations ?? t.dtype })),
          ...('param' in layer && (layer.type === 'linear_mv' || layer.type === 'linear_mm') ? { param: layer.param.map((p) => ({ ...p, dtype: dtypes.weights ?? p.dtype })) } : {}),
        }) as Layer,
    );

  test("fp16 activations are refused with an IrError naming each linear layer and the DPU's precision", () => {
    const error = thrown(IrError, () => simulate(withDtypes({ activations: 'fp16' }), hw, { file: 'fp16.yaml' }));
    assert.deepEqual(error.issues, [
      { path: 'layer 2 "gate".input[0].dtype', message: 'DPUCADF8H takes int8 activations, got fp16' },
      { path: 'layer 4 "down".input[0].dtype', message: 'DPUCADF8H takes int8 activations, got fp16' },
    ]);
    assert.match(error.message, /^fp16\.yaml: DPUCADF8H cannot run this IR: /);
  });

  test('int4 weights are refused the same way', () => {
    const error = thrown(IrError, () => simulate(withDtypes({ weights: 'int4' }), hw));
    assert.deepEqual(error.issues.map((issue) => issue.path), ['layer 2 "gate".param[0].dtype', 'layer 4 "down".param[0].dtype']);
    assert.match(error.issues[0]!.message, /takes int8 weights, got int4/);
  });
});
