import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { fetchedReferenceDirectory, fetchReference, findReferenceDirectory, referenceContentHash, referenceFiles } from '../../src/profiler/index.js';
import { runMain, temporaryDirectory, thrown } from '../helpers.js';

/*
 * fetch-reference against a small repository made here in FlightLLM's
 * layout (profile/config.yaml, profile/README.md, profile/.compiler_output/…):
 * no network, and the same code path as a clone of the real one.
 */

/** The repository's files at its first commit, by path in the repository. */
const UPSTREAM: Record<string, string> = {
  'profile/config.yaml': 'hardware: { freq: 225 }\n',
  'profile/README.md': '# the printed table\n',
  'profile/run.py': 'print("code we never copy")\n',
  'profile/.compiler_output/ir_output/m_decode_token_16.yaml': '- name: layer\n',
  'profile/.compiler_output/ir_output/attention_mask/attention_mask_0.mask.npy': '\x93NUMPY fake mask',
  'profile/.compiler_output/profiler_output/m_decode_token_16.csv': 'inst_type,inst_cnt,part_time,part_time_ratio\nTOTAL,1,1.0,100\n',
  'fpga_implementation/bitstream/big.xclbin': 'a bitstream the tool never reads',
};
/** Where each data file must land in the reference directory. */
const EXPECTED_LAYOUT: Record<string, string> = {
  'config.yaml': 'profile/config.yaml',
  'flightllm-README.md': 'profile/README.md',
  'ir_output/m_decode_token_16.yaml': 'profile/.compiler_output/ir_output/m_decode_token_16.yaml',
  'ir_output/attention_mask/attention_mask_0.mask.npy': 'profile/.compiler_output/ir_output/attention_mask/attention_mask_0.mask.npy',
  'profiler_output/m_decode_token_16.csv': 'profile/.compiler_output/profiler_output/m_decode_token_16.csv',
};

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

function git(repository: string, ...args: string[]): string {
  return execFileSync('git', ['-C', repository, '-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { encoding: 'utf8' }).trim();
}

/** A repository with two commits: the pinned one, and a later one whose CSV differs. */
function upstream(): { url: string; pinned: string; later: string } {
  const repository = temporaryDirectory();
  git(repository, 'init', '--quiet');
  write(repository, UPSTREAM);
  git(repository, 'add', '.');
  git(repository, 'commit', '--quiet', '-m', 'data');
  const pinned = git(repository, 'rev-parse', 'HEAD');
  write(repository, { 'profile/.compiler_output/profiler_output/m_decode_token_16.csv': 'changed later\n' });
  git(repository, 'commit', '--quiet', '-am', 'later');
  return { url: pathToFileURL(repository).href, pinned, later: git(repository, 'rev-parse', 'HEAD') };
}

/** The pinned content hash, from the files laid out as the reference directory must hold them. */
function expectedHash(): string {
  const directory = temporaryDirectory();
  write(directory, Object.fromEntries(Object.entries(EXPECTED_LAYOUT).map(([to, from]) => [to, UPSTREAM[from]!])));
  return referenceContentHash(directory);
}

describe('the content hash of reference data', () => {
  test('covers the configuration, IR, masks, CSVs and README, and nothing else', () => {
    const directory = temporaryDirectory();
    write(directory, Object.fromEntries(Object.entries(EXPECTED_LAYOUT).map(([to, from]) => [to, UPSTREAM[from]!])));
    assert.deepEqual(referenceFiles(directory), Object.keys(EXPECTED_LAYOUT).sort());
    const before = referenceContentHash(directory);
    write(directory, { 'notes.txt': 'ours', 'ir_output/run.py': 'code' });
    assert.equal(referenceContentHash(directory), before);
    write(directory, { 'profiler_output/m_decode_token_16.csv': 'edited\n' });
    assert.notEqual(referenceContentHash(directory), before);
  });
});

describe('fetchReference', () => {
  const source = upstream();
  const contentHash = expectedHash();

  test('clones the pinned commit and lays out its data files, each as the repository holds it', () => {
    const directory = join(temporaryDirectory(), 'reference');
    const fetched = fetchReference({ source: { url: source.url, commit: source.pinned, contentHash }, directory });
    assert.deepEqual({ fetched: fetched.fetched, files: fetched.files, contentHash: fetched.contentHash }, { fetched: true, files: 5, contentHash });
    for (const [to, from] of Object.entries(EXPECTED_LAYOUT)) assert.equal(readFileSync(join(directory, to), 'utf8'), UPSTREAM[from], to);
    assert.equal(existsSync(join(directory, 'run.py')), false);
    assert.deepEqual(referenceFiles(directory), Object.keys(EXPECTED_LAYOUT).sort());
    // Present and matching: nothing is fetched, so even an unreachable URL will do.
    const again = fetchReference({ source: { url: 'file:///nowhere', commit: source.pinned, contentHash }, directory });
    assert.equal(again.fetched, false);
  });

  test('refuses data whose hash is not the pinned one and writes nothing', () => {
    const directory = join(temporaryDirectory(), 'reference');
    const error = thrown(UserError, () => fetchReference({ source: { url: source.url, commit: source.later, contentHash }, directory }));
    assert.match(error.message, new RegExp(`at ${source.later} does not have the pinned content: expected content hash ${contentHash}, got [0-9a-f]{64}; nothing was written`));
    assert.equal(existsSync(directory), false);
    assert.deepEqual(readdir(dirname(directory)), []);
  });

  test('an unreachable repository is one error naming it', () => {
    const directory = join(temporaryDirectory(), 'reference');
    const error = thrown(UserError, () => fetchReference({ source: { url: 'file:///no/such/repository', commit: source.pinned, contentHash }, directory }));
    assert.match(error.message, /^cannot fetch FlightLLM reference data from file:\/\/\/no\/such\/repository at [0-9a-f]{40}: /);
    assert.equal(existsSync(directory), false);
  });

  test('the CLI exits 2 on an unreachable URL, with the error on stderr', async () => {
    const directory = join(temporaryDirectory(), 'reference');
    const result = await runMain(['fetch-reference', '--url', 'file:///no/such/repository', '--dir', directory]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /error: cannot fetch FlightLLM reference data from file:\/\/\/no\/such\/repository/);
  });
});

describe('finding reference data', () => {
  test('$FLIGHTLLM_REFERENCE first, then what fetch-reference put in the cache directory', () => {
    const cacheDirectory = temporaryDirectory();
    const fetched = fetchedReferenceDirectory(cacheDirectory);
    mkdirSync(join(fetched, 'ir_output'), { recursive: true });
    assert.equal(findReferenceDirectory({ env: { FLIGHTLLM_REFERENCE: '/given' }, cacheDirectory }), '/given');
    const found = findReferenceDirectory({ env: {}, cacheDirectory });
    // A team checkout may have ../shared/reference/flightllm beside it, which comes before the cache.
    assert.ok(found === fetched || found!.endsWith(join('shared', 'reference', 'flightllm')), found);
  });
});

function readdir(directory: string): string[] {
  return execFileSync('ls', ['-A', directory], { encoding: 'utf8' }).split('\n').filter((name) => name !== '');
}
