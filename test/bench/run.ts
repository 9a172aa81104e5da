/*
 * Benchmarks (`npm run bench`): prints figures, asserts nothing. Everything
 * measured here runs the built package (dist/), as users run it; each figure
 * is compared with a baseline measured in the same run.
 *
 * Figures that need FlightLLM's IR files read them from ../shared (or
 * $FLIGHTLLM_REFERENCE). To time FlightLLM's own profiler on the same files,
 * set REFERENCE_PROFILER_CMD to a shell command with an `{ir}` placeholder
 * for the IR file; it is run and timed as it is.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Table from 'cli-table3';
import { INSTALLED_BIN, NO_REFERENCE, REFERENCE_DIR, ROOT, VHK158 } from '../helpers.js';

type Library = typeof import('../../src/index.js');

const DIST = join(ROOT, 'dist');
/** The installed binary, as a user runs it. */
const CLI = INSTALLED_BIN;

interface Figure {
  readonly what: string;
  readonly value: string;
  readonly baseline: string;
  readonly note: string;
}

const figures: Figure[] = [];
const record = (figure: Figure) => {
  figures.push(figure);
  process.stderr.write(`  ${figure.what}: ${figure.value}${figure.baseline === '' ? '' : ` (baseline ${figure.baseline})`}\n`);
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeMs(run: () => unknown, repeats: number): number {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return median(times);
}

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;

function irFile(name: string): string {
  return join(REFERENCE_DIR, 'ir_output', `${name}.yaml`);
}

const FILES = ['llama2_decode_token_1024', 'llama2_prefill_token_128', 'llama2_prefill_token_2048'];

function benchParsing(lib: Library): void {
  process.stderr.write('IR loading\n');
  const cache = new lib.ContentCache(mkdtempSync(join(tmpdir(), 'fpga-llm-sim-bench-')));
  for (const name of FILES) {
    const file = irFile(name);
    const parse = timeMs(() => lib.loadIr(file), 5);
    lib.loadIr(file, { cache });
    const cached = timeMs(() => lib.loadIr(file, { cache }), 5);
    record({ what: `load ${name}`, value: `${ms(cached)} from the parse cache`, baseline: `${ms(parse)} js-yaml + zod`, note: `${(parse / cached).toFixed(0)}× faster` });
  }
}

function benchThroughput(lib: Library): void {
  process.stderr.write('Simulation throughput (parse excluded)\n');
  const hw = lib.loadHardware(VHK158);
  const masks = lib.maskDirectory(join(REFERENCE_DIR, 'ir_output', 'attention_mask'));
  for (const [name, repeats] of [['llama2_decode_token_1024', 31], ['llama2_prefill_token_128', 9], ['llama2_prefill_token_2048', 3]] as const) {
    const ir = lib.loadIr(irFile(name));
    let instructions = 0;
    lib.simulate(ir, hw, { masks });
    const elapsed = timeMs(() => (instructions = lib.simulate(ir, hw, { masks }).instructionCount), repeats);
    record({ what: `simulate ${name}`, value: `${(instructions / elapsed / 1000).toFixed(1)} M instructions/s`, baseline: '', note: `${instructions} instructions in ${ms(elapsed)} (target ≥ 20 M/s per core)` });
  }
}

const referenceTimes = new Map<string, number | string>();

/** Wall time of FlightLLM's profiler on one IR file, when REFERENCE_PROFILER_CMD says how to run it (timed once per file). */
function referenceMs(name: string): number | string {
  const command = process.env['REFERENCE_PROFILER_CMD'];
  if (command === undefined || command === '') return 'not timed: set REFERENCE_PROFILER_CMD';
  if (!referenceTimes.has(name)) {
    const started = performance.now();
    const run = spawnSync('sh', ['-c', command.replaceAll('{ir}', irFile(name))], { stdio: ['ignore', 'ignore', 'inherit'] });
    referenceTimes.set(name, run.status === 0 ? performance.now() - started : `FlightLLM profiler failed (exit ${run.status})`);
  }
  return referenceTimes.get(name)!;
}

/** Wall time of a process, in ms, median of `repeats` runs. */
function processMs(args: readonly string[], repeats: number, env: NodeJS.ProcessEnv = process.env): number {
  return median(
    Array.from({ length: repeats }, () => {
      const started = performance.now();
      execFileSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
      return performance.now() - started;
    }),
  );
}

/** Start-up: the CLI's --version against Node doing nothing, both as fresh processes. */
function benchStartUp(): void {
  process.stderr.write('Start-up (fresh processes, taken in turn, median of 9)\n');
  const [bares, versions]: [number[], number[]] = [[], []];
  for (let run = 0; run < 9; run++) {
    bares.push(processMs(['-e', '0'], 1));
    versions.push(processMs([CLI, '--version'], 1));
  }
  const [bare, version] = [median(bares), median(versions)];
  record({ what: 'CLI --version', value: ms(version), baseline: `node -e 0 ${ms(bare)}`, note: `+${ms(version - bare)} (target ≤ +100 ms)` });
}

/**
 * One CLI call simulating FlightLLM's prefill-128 and decode-1024 files
 * together, end to end, against FlightLLM's profiler run on each.
 */
function benchOneCall(): void {
  process.stderr.write('One CLI call: prefill-128 and decode-1024 together\n');
  const names = ['llama2_prefill_token_128', 'llama2_decode_token_1024'];
  const outDir = mkdtempSync(join(tmpdir(), 'fpga-llm-sim-bench-'));
  const env = { ...process.env, FPGA_LLM_SIM_CACHE: join(outDir, 'cache') };
  const args = [CLI, 'simulate', '--hardware', VHK158, '--ir', ...names.map(irFile), '--out-dir', outDir];
  const cold = processMs([...args, '--no-cache'], 5, env);
  processMs(args, 1, env);
  const warm = processMs(args, 7, env);
  const references = names.map(referenceMs);
  const reference = references.every((time) => typeof time === 'number') ? (references as number[]).reduce((sum, time) => sum + time, 0) : undefined;
  const baseline = reference === undefined ? references.find((time) => typeof time === 'string')! : `FlightLLM profiler, one run per file, ${ms(reference)}`;
  const ratio = (ours: number) => (reference === undefined ? '?' : `${(reference / ours).toFixed(0)}×`);
  record({ what: 'CLI simulate prefill-128 + decode-1024, one call', value: `${ms(warm)} (cache warm), ${ms(cold)} (--no-cache)`, baseline, note: `${ratio(warm)} faster warm, ${ratio(cold)} cold (aim ≥ 100×)` });
}

function benchEndToEnd(lib: Library): void {
  process.stderr.write('End to end: load, simulate, format the CSV\n');
  const env = { ...process.env, FPGA_LLM_SIM_CACHE: mkdtempSync(join(tmpdir(), 'fpga-llm-sim-bench-')) };
  const cache = new lib.ContentCache(env.FPGA_LLM_SIM_CACHE);
  const hw = lib.loadHardware(VHK158, { cache });
  const masks = lib.maskDirectory(join(REFERENCE_DIR, 'ir_output', 'attention_mask'));
  for (const name of ['llama2_prefill_token_128', 'llama2_decode_token_1024']) {
    const args = ['simulate', '--hardware', VHK158, '--ir', irFile(name)];
    const cold = processMs([CLI, ...args, '--no-cache'], 3, env);
    processMs([CLI, ...args], 1, env);
    const warm = processMs([CLI, ...args], 3, env);
    const inProcess = timeMs(() => lib.profileToCsv(lib.simulate(lib.loadIr(irFile(name), { cache }), hw, { masks })), 9);
    const reference = referenceMs(name);
    const baseline = typeof reference === 'number' ? `FlightLLM profiler ${ms(reference)}` : reference;
    const ratio = (ours: number) => (typeof reference === 'number' ? `${(reference / ours).toFixed(0)}×` : '?');
    record({ what: `CLI simulate ${name}`, value: `${ms(warm)} (cache warm), ${ms(cold)} (--no-cache)`, baseline, note: `${ratio(warm)} faster warm, ${ratio(cold)} cold (aim ≥ 300×)` });
    record({ what: `library ${name}`, value: `${ms(inProcess)} loadIr + simulateIr + CSV`, baseline, note: `${ratio(inProcess)} faster (a notebook or sweep, process already running)` });
  }
}

/** Wall time of `npm run profile` (the CLI with its defaults) with empty caches, then again. */
function benchProfile(): void {
  process.stderr.write('npm run profile: six cases, LLaMA2-7B compiled in memory, 122 lengths\n');
  const outDir = mkdtempSync(join(tmpdir(), 'fpga-llm-sim-bench-'));
  const env = { ...process.env, FPGA_LLM_SIM_CACHE: join(outDir, 'cache') };
  const cold = processMs([CLI, 'profile', '--out-dir', outDir], 1, env);
  const warm = processMs([CLI, 'profile', '--out-dir', outDir], 3, env);
  record({ what: 'profile, cold (empty caches)', value: ms(cold), baseline: '', note: 'target ≤ 5 s on 2 cores' });
  record({ what: 'profile, warm (inputs unchanged)', value: ms(warm), baseline: `cold ${ms(cold)}`, note: 'target ≤ 0.5 s' });
}

/** Latency with our generated masks against FlightLLM's learned masks, at the same density. */
function benchMasks(lib: Library): void {
  process.stderr.write('Generated masks against FlightLLM\'s\n');
  const hw = lib.loadHardware(VHK158);
  if (hw.kind !== 'flightllm') throw new Error(`${VHK158} is not FlightLLM hardware`);
  const { model } = lib.loadModel(join(ROOT, 'ir', 'llama2-7b.yaml'));
  const theirs = lib.maskDirectory(join(REFERENCE_DIR, 'ir_output', 'attention_mask'));
  const ours = lib.generatedMasks(model, lib.compileTarget(hw));
  const density = (lookup: typeof ours) => {
    const masks = Array.from({ length: 32 }, (_, layer) => lib.causalDensity(lookup(`attention_mask_${layer}.mask`, '')));
    return masks.reduce((sum, value) => sum + value, 0) / masks.length;
  };
  for (const tokens of [512, 2048]) {
    const ir = lib.compileModel(model, { stage: 'prefill', tokens, target: lib.compileTarget(hw) }).ir;
    const reference = lib.simulate(ir, hw, { masks: theirs }).totalMs;
    const generated = lib.simulate(ir, hw, { masks: ours }).totalMs;
    record({
      what: `prefill-${tokens}, generated masks`,
      value: ms(generated),
      baseline: `FlightLLM's masks ${ms(reference)}`,
      note: `${(((generated - reference) / reference) * 100).toFixed(2)} %; kept causal blocks ${(density(ours) * 100).toFixed(1)} % vs ${(density(theirs) * 100).toFixed(1)} %`,
    });
  }
}

/**
 * Peak memory of a fresh process that simulates one IR file: resident set
 * from the OS, heap sampled every 2^16 instructions through the trace hook.
 * The baseline is the same process stopping after loading the IR.
 */
function memoryOf(name: string, simulate: boolean): { rssMB: number; heapMB: number; instructions: number } {
  const script = `
    const lib = await import(${JSON.stringify(pathToFileURL(join(DIST, 'index.js')).href)});
    const hw = lib.loadHardware(${JSON.stringify(VHK158)});
    const ir = lib.loadIr(${JSON.stringify(irFile(name))});
    let heap = process.memoryUsage().heapUsed, n = 0, count = 0;
    if (${simulate}) {
      const masks = lib.maskDirectory(${JSON.stringify(join(REFERENCE_DIR, 'ir_output', 'attention_mask'))});
      count = lib.simulate(ir, hw, { masks, trace: () => { if ((++n & 0xffff) === 0) heap = Math.max(heap, process.memoryUsage().heapUsed); } }).instructionCount;
    }
    heap = Math.max(heap, process.memoryUsage().heapUsed);
    console.log(JSON.stringify({ rssMB: process.resourceUsage().maxRSS / 1024, heapMB: heap / 2 ** 20, instructions: count }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

function benchMemory(): void {
  process.stderr.write('Peak memory (fresh process per figure)\n');
  for (const name of ['llama2_prefill_token_128', 'llama2_prefill_token_2048']) {
    const base = memoryOf(name, false);
    const run = memoryOf(name, true);
    record({
      what: `memory ${name}`,
      value: `peak heap ${run.heapMB.toFixed(0)} MB, peak RSS ${run.rssMB.toFixed(0)} MB`,
      baseline: `IR loaded only: heap ${base.heapMB.toFixed(0)} MB, RSS ${base.rssMB.toFixed(0)} MB`,
      note: `${run.instructions} instructions (target < 1 GB, flat in instruction count)`,
    });
  }
}

/** Seeded random batches within the board's KV capacity: 1–64 sequences, decodes at any context, one in ten a prompt chunk after a context. */
function randomBatches(count: number, capacityTokens: number): Array<{ sequences: Array<{ newTokens: number; context: number }> }> {
  let state = 12345;
  const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const int = (from: number, to: number) => from + Math.floor(next() * (to - from + 1));
  return Array.from({ length: count }, () => {
    const sequences = Array.from({ length: int(1, 64) }, () => (int(0, 9) === 0 ? { newTokens: int(2, 512), context: int(0, 1024) } : { newTokens: 1, context: int(1, 2047) }));
    let tokens = 0;
    const kept = sequences.filter((s) => (tokens += Math.ceil((s.context + s.newTokens) / 16) * 16) <= capacityTokens);
    return { sequences: kept.length > 0 ? kept : [sequences[0]!] };
  });
}

/** The fast step-cost path against the exact one on random batches: error, and both paths' speed. */
function benchStepCosts(lib: Library): void {
  const count = Number(process.env['BENCH_STEP_BATCHES'] ?? 200);
  process.stderr.write(`Step costs: fast against exact on ${count} random batches (LLaMA2-7B)\n`);
  const model = lib.loadModel('llama2-7b').model;
  for (const board of ['vhk158', 'u250']) {
    const hw = lib.loadHardware(board);
    const costs = lib.createStepCostModel({ hardware: hw, model });
    const batches = randomBatches(count, costs.capacity.tokens);
    let started = performance.now();
    const exact = batches.map((batch) => costs.exact(batch).totalMs);
    const exactMs = performance.now() - started;
    const fresh = lib.createStepCostModel({ hardware: hw, model });
    started = performance.now();
    const fast = batches.map((batch) => fresh.fast(batch).totalMs);
    const coldMs = performance.now() - started;
    started = performance.now();
    let calls = 0;
    while (performance.now() - started < 2000) for (const batch of batches) (fresh.fast(batch), calls++);
    const perSecond = calls / ((performance.now() - started) / 1000);
    const errors = fast.map((value, index) => Math.abs(value / exact[index]! - 1) * 100);
    const sequences = batches.reduce((sum, b) => sum + b.sequences.length, 0) / batches.length;
    record({ what: `fast step cost error, ${board}`, value: `max ${Math.max(...errors).toFixed(3)} %, mean ${(errors.reduce((a, b) => a + b, 0) / errors.length).toFixed(4)} %`, baseline: 'exact: the whole step simulated', note: `${count} batches of ${sequences.toFixed(1)} sequences on average (target: max ≤ 2 %)` });
    record({ what: `step costs per second, ${board}`, value: `fast ${perSecond.toFixed(0)}/s once warm (tables filled in ${(coldMs / 1000).toFixed(1)} s)`, baseline: `exact ${(count / (exactMs / 1000)).toFixed(2)}/s (${(exactMs / count).toFixed(0)} ms a step)`, note: `${(perSecond / (count / (exactMs / 1000))).toFixed(0)}× faster once warm (target ≥ 100,000/s)` });
  }
}

/** A serving run in a fresh process: wall time and peak heap, step-cost tables cold (no cache). */
function servingRun(requests: number): { seconds: number; heapMB: number; outputTps: number } {
  const script = `
    const lib = await import(${JSON.stringify(pathToFileURL(join(DIST, 'index.js')).href)});
    const started = performance.now();
    let heap = 0;
    const { result } = lib.serve({
      hardware: lib.loadHardware('vhk158'), model: lib.loadModel('llama2-7b').model,
      workload: { datasetName: 'random', numPrompts: ${requests}, randomInputLen: 528, randomOutputLen: 264, randomRangeRatio: 496 / 528, seed: 0 },
      maxConcurrency: 64,
      onProgress: (done) => { if (done % 100 === 0) heap = Math.max(heap, process.memoryUsage().heapUsed); },
    });
    heap = Math.max(heap, process.memoryUsage().heapUsed);
    console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, heapMB: heap / 2 ** 20, outputTps: result.output_throughput }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 26 }));
}

function benchServing(): void {
  process.stderr.write('Serving: prompts 32–1,024 tokens, outputs 16–512, concurrency 64, LLaMA2-7B on the VHK158, fast path, cold tables\n');
  const small = servingRun(1000);
  const large = servingRun(10000);
  record({ what: 'serve 10,000 requests', value: `${large.seconds.toFixed(1)} s, peak heap ${large.heapMB.toFixed(0)} MB`, baseline: `1,000 requests: ${small.seconds.toFixed(1)} s, peak heap ${small.heapMB.toFixed(0)} MB`, note: `target ≤ 20 s on 2 cores; ${large.outputTps.toFixed(1)} output token/s simulated` });
}

/** The shipped example sweep (225 points) in a fresh CLI process on all cores, then again with every point stored. */
function benchSweep(): void {
  const spec = join(ROOT, 'ir', 'sweeps', 'vhk158-hbm-clock-mpe.yaml');
  process.stderr.write(`Sweep: ${spec}, every point, all cores\n`);
  const out = mkdtempSync(join(tmpdir(), 'fpga-llm-sim-bench-sweep-'));
  const timed = () => {
    const started = performance.now();
    execFileSync(process.execPath, [CLI, 'sweep', spec, '--out', out, '--no-figures', '--allow-failures'], { stdio: 'ignore' });
    return (performance.now() - started) / 1000;
  };
  const cold = timed();
  const warm = timed();
  record({ what: 'example sweep, 225 points', value: `${cold.toFixed(1)} s (${(225 / cold).toFixed(1)} points/s)`, baseline: `rerun, every point stored: ${warm.toFixed(2)} s`, note: 'LLaMA2-7B 1x128x128 per point; 75 points fail at once (a refused layout)' });
}

/** The sections, in order; `BENCH_ONLY=steps,serving` runs only those named. */
const SECTIONS: ReadonlyArray<{ name: string; needsReference: boolean; run: (lib: Library) => void }> = [
  { name: 'startup', needsReference: false, run: () => benchStartUp() },
  { name: 'parsing', needsReference: true, run: benchParsing },
  { name: 'throughput', needsReference: true, run: benchThroughput },
  { name: 'end-to-end', needsReference: true, run: benchEndToEnd },
  { name: 'one-call', needsReference: true, run: () => benchOneCall() },
  { name: 'profile', needsReference: true, run: () => benchProfile() },
  { name: 'masks', needsReference: true, run: benchMasks },
  { name: 'memory', needsReference: true, run: () => benchMemory() },
  // Batched steps and serving need only the shipped boards and models.
  { name: 'steps', needsReference: false, run: benchStepCosts },
  { name: 'serving', needsReference: false, run: () => benchServing() },
  { name: 'sweep', needsReference: false, run: () => benchSweep() },
];

async function main(): Promise<void> {
  if (!existsSync(join(DIST, 'index.js'))) throw new Error('dist/ is missing: run npm run build first');
  const lib = (await import(pathToFileURL(join(DIST, 'index.js')).href)) as Library;
  const only = process.env['BENCH_ONLY']?.split(',').map((name) => name.trim());
  for (const section of SECTIONS) {
    if (only !== undefined && !only.includes(section.name)) continue;
    if (section.needsReference && NO_REFERENCE !== false) {
      process.stderr.write(`bench: ${section.name} skipped: ${NO_REFERENCE}\n`);
      continue;
    }
    section.run(lib);
  }
  const table = new Table({ head: ['figure', 'measured', 'baseline (same run)', 'note'], style: { head: [], border: [], compact: true }, wordWrap: true, colWidths: [34, 40, 40, 46] });
  for (const figure of figures) table.push([figure.what, figure.value, figure.baseline, figure.note]);
  process.stdout.write(`${table.toString()}\n`);
}

await main();
