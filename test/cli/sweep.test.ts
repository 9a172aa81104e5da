import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { dump } from 'js-yaml';
import { readSweepTable, RESULTS_CSV, RESULTS_PARQUET, MANIFEST } from '../../src/sweep/index.js';
import { runMain, temporaryDirectory, tinySweepSpec, type CliResult } from '../helpers.js';

describe('sweep command', () => {
  const work = temporaryDirectory();
  const spec = join(work, 'tiny-sweep.yaml');
  const whole = join(work, 'whole');
  let run: CliResult;

  before(async () => {
    writeFileSync(spec, dump(tinySweepSpec(work)));
    run = await runMain(['sweep', spec, '--out', whole, '--jobs', '1', '--allow-failures']);
  });

  test('writes the tables and the figures, and prints the best points and the Pareto front', () => {
    assert.equal(run.code, 0, run.stderr);
    for (const name of [RESULTS_CSV, RESULTS_PARQUET, MANIFEST, 'pareto.svg', 'pareto.png', 'heatmap.svg', 'heatmap.png']) assert.ok(existsSync(join(whole, name)), name);
    assert.match(run.stderr, /sweep: 8 points: 2 ok, 6 failed; 8 run, 0 reused/);
    assert.match(run.stderr, /6 of 8 points failed \(reasons in results\.csv; --allow-failures to accept them\):\n  4 × .*buffers\.bias\.depthWords: expected a value > 0, got -4 \(points 1, 3, 5, 7\)\n  2 × .*sparse blocks do not fill whole words.* \(points 2, 6\)\n/);
    const table = readSweepTable(whole);
    const best = table.rows.filter((row) => row['status'] === 'ok').sort((a, b) => (b['decodeTokensPerSecond'] as number) - (a['decodeTokensPerSecond'] as number))[0]!;
    assert.match(run.stdout, new RegExp(`best decodeTokensPerSecond │ ${String(best['point'])} `));
    assert.match(run.stdout, /Pareto front of decodeTokensPerSecond and prefillMs: \d+ points/);
  });

  test('a second run reuses every point; --json prints every row; failed points exit 1 without --allow-failures', async () => {
    const before = readFileSync(join(whole, RESULTS_CSV));
    const again = await runMain(['sweep', spec, '--out', whole, '--jobs', '1', '--no-figures', '--json']);
    assert.equal(again.code, 1, 'not every requested result was produced');
    assert.match(again.stderr, /6 of 8 points failed/);
    assert.match(again.stderr, /0 run, 8 reused/);
    assert.ok(readFileSync(join(whole, RESULTS_CSV)).equals(before));
    assert.deepEqual(JSON.parse(again.stdout), readSweepTable(whole).rows);
  });

  test('shards from --shard, Slurm and a Kubernetes Indexed Job, merged, give results.csv byte for byte', async () => {
    const dirs = [join(work, 'shard-0'), join(work, 'shard-1'), join(work, 'shard-2')];
    const runs = [
      await runMain(['sweep', spec, '--shard', '0/3', '--out', dirs[0]!, '--jobs', '1', '--allow-failures']),
      await runMain(['sweep', spec, '--out', dirs[1]!, '--jobs', '1', '--allow-failures'], { env: { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' } }),
      await runMain(['sweep', spec, '--out', dirs[2]!, '--jobs', '1', '--shard-count', '3', '--allow-failures'], { env: { JOB_COMPLETION_INDEX: '2' } }),
    ];
    runs.forEach((r, index) => assert.match(r.stderr, new RegExp(`\\d points \\(shard ${index}/3\\)`), r.stderr));
    assert.match(runs[1]!.stderr, /sweep: shard 1\/3 \(from SLURM_ARRAY_TASK_ID=2, SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_COUNT=3\)/);
    assert.equal(existsSync(join(dirs[0]!, 'pareto.svg')), false, 'a shard draws no figures of part of the sweep');
    const merged = join(work, 'merged');
    const merge = await runMain(['sweep', 'merge', '--out', merged, '--no-figures', '--allow-failures', ...dirs]);
    assert.equal(merge.code, 0, merge.stderr);
    assert.match(merge.stderr, /sweep: merged 3 shards, 8 points/);
    for (const name of [RESULTS_CSV, MANIFEST]) assert.ok(readFileSync(join(merged, name)).equals(readFileSync(join(whole, name))), name);
  });

  test('a sweep whose every point fails exits 1, naming how many failed and why', async () => {
    const broken = join(work, 'broken.yaml');
    writeFileSync(broken, dump({ ...tinySweepSpec(work), name: 'broken', board: 'u290', axes: { set: { 'hbm.bandwidthGiBps': [409.6, 819.2] } } }));
    const out = join(work, 'broken-out');
    const failed = await runMain(['sweep', broken, '--out', out, '--jobs', '1', '--no-figures']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /2 of 2 points failed .*:\n  2 × .*no hardware configuration "u290".* \(points 0, 1\)/);
    assert.match(readFileSync(join(out, RESULTS_CSV), 'utf8'), /,failed,/, 'the table is still written');
    assert.equal((await runMain(['sweep', broken, '--out', out, '--jobs', '1', '--no-figures', '--allow-failures'])).code, 0);
  });
});
