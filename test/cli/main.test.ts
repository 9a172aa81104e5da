import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { dump } from 'js-yaml';
import { runSimulationJob, type SimulationJob, type SimulationOutcome } from '../../src/profiler/index.js';
import { INSTALLED_BIN, runCliProcess, runMain, ROOT, temporaryDirectory, tinyDecodeIr, tinyModelFile, VHK158, vhk158Hardware } from '../helpers.js';

/*
 * The few things only a real process shows: that the binary's exit code and
 * streams are main()'s. Every other CLI test runs main(args, io) in process.
 * The runs start at once: each is a process of its own.
 */

const work = temporaryDirectory();
const ir = join(work, 'tiny.yaml');
writeFileSync(ir, dump(tinyDecodeIr()));

/** A FlightLLM reference directory whose one CSV disagrees with the simulation. */
const reference = join(work, 'reference');
mkdirSync(join(reference, 'ir_output', 'attention_mask'), { recursive: true });
mkdirSync(join(reference, 'profiler_output'));
writeFileSync(join(reference, 'ir_output', 'tiny.yaml'), dump(tinyDecodeIr()));
writeFileSync(join(reference, 'profiler_output', 'tiny.csv'), 'inst_type,inst_cnt,part_time,part_time_ratio\nTOTAL,1,1.000000,100.00\n');

const RUNS = {
  version: ['--version'],
  simulate: ['simulate', '--hardware', VHK158, '--ir', ir],
  missingFile: ['simulate', '--hardware', join(work, 'none.yaml'), '--ir', ir],
  mismatch: ['conformance', '--reference', reference, '--jobs', '1'],
} as const;
const runs = new Map(Object.entries(RUNS).map(([name, args]) => [name, runCliProcess(args)]));
/** Where `npm run build` (which `npm test` runs first) bundles the CLI and its workers. */
const BUNDLE = join(ROOT, 'dist', 'bundle');
const bundledArgs = ['simulate', '--hardware', 'vhk158', '--ir', ir, '--json'];
const bundled = runCliProcess(bundledArgs, { binary: INSTALLED_BIN });
const run = (name: keyof typeof RUNS) => runs.get(name)!;
/** A profile run from an empty working directory, without --out-dir. */
const emptyCwd = temporaryDirectory();
const profiled = runCliProcess(['profile', '--model', tinyModelFile(temporaryDirectory()), '--cases', '1x100x8', '--jobs', '1'], { binary: INSTALLED_BIN, cwd: emptyCwd, env: { FPGA_LLM_SIM_CACHE: join(work, 'cache') } });

describe('the fpga-llm-sim binary', () => {
  test('--version prints the package version on stdout and exits 0', async () => {
    const result = await run('version');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
    assert.equal(result.stderr, '');
  });

  test("simulate writes main()'s CSV on stdout and exits 0", async () => {
    const [spawned, inProcess] = await Promise.all([run('simulate'), runMain(RUNS.simulate)]);
    assert.equal(spawned.code, 0, spawned.stderr);
    assert.match(spawned.stdout, /^inst_type,inst_cnt,part_time,part_time_ratio\n/);
    assert.deepEqual(spawned, inProcess);
  });

  test('profile writes nothing into the working directory unless --out-dir asks; its results go to the cache directory', async () => {
    const result = await profiled;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readdirSync(emptyCwd), []);
    assert.ok(readdirSync(join(work, 'cache', 'profile-length')).length > 0);
  });

  test('a user error exits 2 with one paragraph on stderr and nothing on stdout', async () => {
    const result = await run('missingFile');
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `fpga-llm-sim: error: ${join(work, 'none.yaml')}: cannot read hardware configuration: no such file.\n`);
  });

  test('a conformance case that differs from the reference exits 1, our failure, after printing the table', async () => {
    const result = await run('mismatch');
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /tiny .* DIFFERS/);
    assert.match(result.stdout, /0 of 1 cases match FlightLLM/);
  });

  test("the bundled binary prints main()'s profile, finding shipped hardware by name", async () => {
    assert.equal(dirname(dirname(INSTALLED_BIN)), BUNDLE);
    const [spawned, inProcess] = await Promise.all([bundled, runMain(bundledArgs)]);
    assert.equal(spawned.code, 0, spawned.stderr);
    assert.deepEqual(spawned, inProcess);
  });

  test("the bundled worker modules sit where the pool looks for them and run a job as this thread does", async () => {
    const job: SimulationJob = { kind: 'ir-file', irPath: ir, hardware: vhk158Hardware() };
    const worker = (await import(pathToFileURL(join(BUNDLE, 'profiler', 'worker.js')).href)) as { default: (job: SimulationJob) => SimulationOutcome };
    const [theirs, ours] = [worker.default(job), runSimulationJob(job)];
    assert.ok(theirs.ok && ours.ok);
    assert.equal(theirs.csv, ours.csv);
    const sweepWorker = (await import(pathToFileURL(join(BUNDLE, 'sweep', 'worker.js')).href)) as { default: unknown };
    assert.equal(typeof sweepWorker.default, 'function');
  });
});
