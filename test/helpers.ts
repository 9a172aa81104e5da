import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump } from 'js-yaml';
import { main } from '../src/cli/program.js';
import { loadHardware, type FlightLlmHardware, type Hardware } from '../src/backends/index.js';
import type { Layer } from '../src/ir/index.js';
import { parseModel, type Model } from '../src/model/index.js';
import { fetchedReferenceDirectory, findReferenceDirectory } from '../src/profiler/reference.js';
import { ContentCache, defaultCacheDirectory } from '../src/util/cache.js';
import { contentHash } from '../src/util/hash.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * FlightLLM's reference data, where the CLI finds it: $FLIGHTLLM_REFERENCE,
 * `../shared/reference/flightllm` beside the checkout, or what `npm run
 * fetch-reference` put in the cache directory.
 */
export const REFERENCE_DIR =
  findReferenceDirectory({ env: process.env, cacheDirectory: defaultCacheDirectory() }) ?? fetchedReferenceDirectory(defaultCacheDirectory());

/**
 * `false` when the reference data is present, else the reason tests that
 * need it are skipped (a fresh clone has no ../shared).
 */
export const NO_REFERENCE: string | false = existsSync(join(REFERENCE_DIR, 'ir_output'))
  ? false
  : `FlightLLM reference data not found (run \`npm run fetch-reference\`, or set FLIGHTLLM_REFERENCE, to run these tests)`;

/** The installed binary: package.json's bin, the CLI bundled by `npm run build`. */
export const INSTALLED_BIN = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['fpga-llm-sim']!);
export const VHK158 = join(ROOT, 'hardware', 'vhk158.yaml');

const TEST_CACHE_PREFIX = 'fpga-llm-sim-test-cache-';
/** How long the test cache of another source revision is kept unwritten before a new revision's first test removes it. */
const STALE_TEST_CACHE_MS = 60 * 60 * 1000;
let sharedCache: ContentCache | undefined;

/**
 * The parse cache the test files share (and the CLI's, in `runMain`).
 * Loading a shipped board costs most test files more than their tests do:
 * mathjs alone, which its expressions need, takes most of a second to
 * import, once per file. A cached board is the validated result of the same
 * file; the directory is named by a hash of every source file, so a change
 * to any loader is never served a result of the code before it. Tests of
 * loading itself (test/hardware/) load without it.
 */
export function testCache(): ContentCache {
  if (sharedCache === undefined) {
    const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .sort()
      .flatMap((name) => [name, readFileSync(join(ROOT, 'src', name))]);
    const directory = join(tmpdir(), `${TEST_CACHE_PREFIX}${contentHash(...sources).slice(0, 16)}`);
    if (!existsSync(directory)) removeStaleTestCaches();
    sharedCache = new ContentCache(directory);
  }
  return sharedCache;
}

/** The caches of earlier source revisions, a few MB each, go once they have not been written for an hour. */
function removeStaleTestCaches(): void {
  for (const name of readdirSync(tmpdir()).filter((entry) => entry.startsWith(TEST_CACHE_PREFIX))) {
    const path = join(tmpdir(), name);
    // Another test process may be removing or using it: a cache that vanishes only costs time.
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_TEST_CACHE_MS) rmSync(path, { recursive: true, force: true });
    } catch {}
  }
}

/** A shipped board by name (or any hardware file), through the shared test cache. */
export function shippedHardware(name: string, overrides?: Readonly<Record<string, unknown>>): Hardware {
  return loadHardware(name, { cache: testCache(), overrides });
}

let vhk158: FlightLlmHardware | undefined;
/** The shipped VHK158 configuration, loaded once. */
export function vhk158Hardware(): FlightLlmHardware {
  vhk158 ??= flightllm(shippedHardware(VHK158));
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

/** What one CLI run wrote, and its exit code. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI in this process: `main(args, io)` with buffers for stdout and
 * stderr (not a terminal, unless `tty` gives its width). Its parse cache is
 * `env.FPGA_LLM_SIM_CACHE`, by default the shared test cache.
 */
export async function runMain(args: readonly string[], options: { env?: Record<string, string>; tty?: { columns: number } } = {}): Promise<CliResult> {
  const terminal = options.tty === undefined ? {} : { isTTY: true, columns: options.tty.columns };
  let [stdout, stderr] = ['', ''];
  const code = await main(args, {
    stdout: { ...terminal, write: (text: string) => (stdout += text) },
    stderr: { ...terminal, write: (text: string) => (stderr += text) },
    env: { FPGA_LLM_SIM_CACHE: testCache().directory, ...options.env },
  });
  return { code, stdout, stderr };
}

/**
 * Runs the CLI from source (or the built `binary`) in a process of its own,
 * as a user runs the installed binary; its parse cache is the shared test
 * cache unless `env` says otherwise. Slow (a second or so each): for the few tests of what only
 * a real process shows, its exit code and streams.
 */
export function runCliProcess(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; binary?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(options.binary === undefined ? ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')] : [options.binary]), ...args],
      { cwd: options.cwd ?? ROOT, env: { ...process.env, FPGA_LLM_SIM_CACHE: testCache().directory, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

/**
 * The tiny model the tests share: two decoder layers, 4 query heads of 128
 * sharing 2 key/value heads, every dimension a multiple of the block size
 * (16), and every tensor a whole number of 64-byte bursts at every precision.
 */
export const TINY_ARCHITECTURE = {
  hidden_size: 512,
  intermediate_size: 1024,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  num_hidden_layers: 2,
  vocab_size: 2048,
  max_position_embeddings: 2048,
} as const;

/**
 * The tiny model as a mixture of experts: layer 0 dense, layer 1 with 8
 * routed experts of 256 (2 per token) and one shared expert of 256.
 */
export const TINY_MOE_ARCHITECTURE = {
  ...TINY_ARCHITECTURE,
  n_routed_experts: 8,
  num_experts_per_tok: 2,
  moe_intermediate_size: 256,
  n_shared_experts: 1,
  first_k_dense_replace: 1,
} as const;

/** The tiny model with latent attention: a 128-wide compressed KV vector and a 32-wide rotary key, queries compressed to 256. */
export const TINY_LATENT_ARCHITECTURE = {
  ...TINY_ARCHITECTURE,
  num_key_value_heads: 4,
  kv_lora_rank: 128,
  q_lora_rank: 256,
  qk_nope_head_dim: 64,
  qk_rope_head_dim: 32,
  v_head_dim: 64,
} as const;

/** A variant of the tiny model with another architecture, validated. */
export function tinyVariant(architecture: Record<string, unknown>, mapping?: Record<string, unknown>): Model {
  return parseModel({ name: 'tiny-variant', displayName: 'Tiny variant', architecture, ...(mapping === undefined ? {} : { mapping }) }).model;
}

/** The tiny model's description as a model file holds it, with `mapping` when given. */
export function tinyModelDescription(mapping?: Record<string, unknown>): Record<string, unknown> {
  return { name: 'tiny', displayName: 'Tiny', architecture: { ...TINY_ARCHITECTURE }, ...(mapping === undefined ? {} : { mapping }) };
}

/** The tiny model, validated. */
export function tinyModel(mapping?: Record<string, unknown>): Model {
  return parseModel(tinyModelDescription(mapping)).model;
}

/** Writes the tiny model's description to `<directory>/<name>` and returns the path. */
export function tinyModelFile(directory: string, options: { name?: string; mapping?: Record<string, unknown> } = {}): string {
  const path = join(directory, options.name ?? 'tiny.yaml');
  writeFileSync(path, dump(tinyModelDescription(options.mapping)));
  return path;
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

/*
 * Sweeps: a tiny spec, and a real Redis for the queue tests.
 */

/**
 * A sweep of the tiny model on the VHK158 (model file written to
 * `directory`): 2 bandwidths × matrix-matrix parallelism 2 and 4 (4 is
 * refused by the sparse layout when simulated) × a bias buffer depth of 512
 * or −4 (refused when the board loads): 8 points, 2 of them ok.
 */
export function tinySweepSpec(directory: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny-sweep',
    board: 'vhk158',
    model: tinyModelFile(directory),
    case: '1x16x8',
    axes: { set: { 'hbm.bandwidthGiBps': [409.6, 819.2], 'mpe.matrixMatrix.parallelism.n': [2, 4], 'buffers.bias.depthWords': [512, -4] } },
    objectives: ['decodeTokensPerSecond', 'prefillMs', 'percentOfBound'],
    ...extra,
  };
}

/** `false` when redis-server is on the PATH, else why the queue tests are skipped (.ci/run installs it). */
export const NO_REDIS: string | false = ['/usr/bin', '/usr/local/bin', '/usr/sbin', ...(process.env['PATH'] ?? '').split(':')].some((dir) => dir !== '' && existsSync(join(dir, 'redis-server')))
  ? false
  : 'redis-server not found (apt-get install redis-server; .ci/run installs it)';

/** A port nobody listens on now: the OS picks one for a moment, then it is closed. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts a redis-server of its own on a free loopback port, in a temporary directory, persisting nothing. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const directory = temporaryDirectory();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A "billion laughs": `levels` lists of nine aliases to the list before, 9^(levels+1) values in a few hundred bytes. */
export function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]'];
  for (let level = 1; level <= levels; level++) lines.push(`a${level}: &a${level} [${Array.from({ length: 9 }, () => `*a${level - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}
