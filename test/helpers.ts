import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHardware, type FlightLlmHardware, type Hardware } from '../src/hardware/index.js';
import type { Layer } from '../src/ir/index.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** FlightLLM's reference data: `../shared/reference/flightllm` beside the checkout, or $FLIGHTLLM_REFERENCE. */
export const REFERENCE_DIR = process.env['FLIGHTLLM_REFERENCE'] ?? join(ROOT, '..', 'shared', 'reference', 'flightllm');

/**
 * `false` when the reference data is present, else the reason tests that
 * need it are skipped (a fresh clone has no ../shared).
 */
export const NO_REFERENCE: string | false = existsSync(join(REFERENCE_DIR, 'ir_output'))
  ? false
  : `FlightLLM reference data not found at ${REFERENCE_DIR} (set FLIGHTLLM_REFERENCE to run these tests)`;

export const VHK158 = join(ROOT, 'hardware', 'vhk158.yaml');

let vhk158: FlightLlmHardware | undefined;
/** The shipped VHK158 configuration, loaded once. */
export function vhk158Hardware(): FlightLlmHardware {
  vhk158 ??= flightllm(loadHardware(VHK158));
  return vhk158;
}

/** The hardware, checked to be of FlightLLM's architecture. */
export function flightllm(hw: Hardware): FlightLlmHardware {
  if (hw.kind !== 'flightllm') throw new Error(`expected FlightLLM hardware, got ${hw.kind}`);
  return hw;
}

export function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'fpga-llm-sim-test-'));
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI from source, as a user would run the installed binary. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args],
      { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

/** A 3-D int8 tensor. */
export function tensor(name: string, shape: readonly number[]): Layer['input'][number] {
  return { name, shape: [...shape], dtype: 'int8', addr: 0 };
}

/** The first layers of a one-token IR: the input marker (tensor `x`) and an RMS norm of it (tensor `xn`). */
export function inputAndNorm(hidden: number): Layer[] {
  return [
    { name: 'in', type: 'input', input: [], output: [tensor('x', [1, 1, hidden])], structure: {} },
    {
      name: 'norm',
      type: 'layernorm',
      input: [tensor('x', [1, 1, hidden])],
      output: [tensor('xn', [1, 1, hidden])],
      param: [{ ...tensor('norm.weight', [1, 1, hidden]), sparse_flag: false, sparse_ratio: 1 }],
      structure: { bias_flag: false, RMS_flag: true },
    },
  ];
}

/**
 * A small decoder-style IR for one token (decode), built in code so tests do
 * not depend on reference files: RMS norm, a projection with SiLU, an
 * element-wise add, and the input/output markers.
 */
export function tinyDecodeIr(options: { hidden?: number; ffn?: number } = {}): Layer[] {
  const hidden = options.hidden ?? 1024;
  const ffn = options.ffn ?? 2048;
  return [
    ...inputAndNorm(hidden),
    {
      name: 'gate',
      type: 'linear_mv',
      input: [tensor('xn', [1, 1, hidden])],
      output: [tensor('g', [1, 1, ffn])],
      param: [{ ...tensor('gate.weight', [1, hidden, ffn]), sparse_flag: false, sparse_ratio: 1 }],
      structure: { bias_flag: false, mask_mode: 'none', relu_flag: false },
    },
    { name: 'act', type: 'silu', input: [tensor('g', [1, 1, ffn])], output: [tensor('s', [1, 1, ffn])], structure: {} },
    {
      name: 'down',
      type: 'linear_mv',
      input: [tensor('s', [1, 1, ffn])],
      output: [tensor('d', [1, 1, hidden])],
      param: [{ ...tensor('down.weight', [1, ffn, hidden]), sparse_flag: true, sparse_ratio: 0.5 }],
      structure: { bias_flag: false, mask_mode: 'none', relu_flag: false },
    },
    { name: 'add', type: 'eltwise', input: [tensor('x', [1, 1, hidden]), tensor('d', [1, 1, hidden])], output: [tensor('y', [1, 1, hidden])], structure: { eltwise_type: 'eltwise_add' } },
    { name: 'out', type: 'output', input: [tensor('y', [1, 1, hidden])], output: [], structure: {} },
  ];
}

/** One recorded instruction. */
export interface Recorded {
  readonly module: string;
  readonly step: number;
  readonly wait: number;
  readonly release: number;
  readonly fields: Record<string, unknown>;
}

/**
 * A sink that keeps every instruction, for tests that inspect the stream
 * (small IRs only: it holds everything in memory).
 */
export class RecordingSink {
  readonly instructions: Recorded[] = [];
  readonly steps: Array<{ index: number; name: string; type: string }> = [];
  private step = -1;
  private readonly last = new Map<number, Recorded>();

  beginStep(info: { index: number; name: string; type: string }): void {
    this.step = info.index;
    this.steps.push({ ...info });
  }
  endStep(): void {}
  private record(moduleIndex: number, module: string, instruction: { wait: number; release: number }): void {
    const recorded = { module, step: this.step, wait: instruction.wait, release: instruction.release, fields: { ...instruction } };
    this.instructions.push(recorded);
    this.last.set(moduleIndex, recorded);
  }
  load(i: { wait: number; release: number }): void {
    this.record(0, 'LD', i);
  }
  store(i: { wait: number; release: number }): void {
    this.record(1, 'ST', i);
  }
  matrix(module: number, i: { wait: number; release: number }): void {
    this.record(module, module === 2 ? 'MM' : 'MV', i);
  }
  misc(i: { wait: number; release: number }): void {
    this.record(4, 'MISC', i);
  }
  sys(i: { wait: number; release: number }): void {
    this.record(5, 'SYS', i);
  }
  addRelease(module: number, mask: number): void {
    const recorded = this.last.get(module) as { release: number } | undefined;
    if (recorded === undefined) throw new Error('nothing to add a release to');
    recorded.release |= mask;
  }

  /** Instructions per module name. */
  counts(step?: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const i of this.instructions) if (step === undefined || i.step === step) counts[i.module] = (counts[i.module] ?? 0) + 1;
    return counts;
  }
}

/** Runs `run`, expecting it to throw an instance of `ErrorClass`; returns the error. */
export function thrown<E extends Error>(ErrorClass: abstract new (...args: never[]) => E, run: () => unknown): E {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ErrorClass, `expected a ${ErrorClass.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected a ${ErrorClass.name}`);
}
