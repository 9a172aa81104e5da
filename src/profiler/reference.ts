import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { contentHash } from '../util/hash.js';
import { PACKAGE_ROOT } from '../version.js';

/*
 * FlightLLM's reference data (its IR, attention masks, hardware configuration
 * and profiler CSVs) is not ours to ship. `fetchReference` clones its public
 * repository at one pinned commit into the cache directory, copies out only
 * the data files the tool reads, and accepts them only when their content
 * hash is the pinned one: a moved branch, a rewritten history or a corrupted
 * transfer is an error, never a silently different oracle. None of
 * FlightLLM's code is copied.
 */

/** Where the reference data comes from and what its data files must hash to. */
export interface ReferenceSource {
  /** A git URL (https://…, file://…, or a path). */
  readonly url: string;
  /** The full commit id to check out. */
  readonly commit: string;
  /** {@link referenceContentHash} of the data files at that commit. */
  readonly contentHash: string;
}

/**
 * FlightLLM/flightllm_test_demo at its last commit (2023-12-28, "update"):
 * `profile/config.yaml` and `profile/README.md`, 144 IR files, 32 masks and
 * 122 profiler CSVs under `profile/.compiler_output/`, about 51 MB.
 */
export const FLIGHTLLM_REFERENCE_SOURCE: ReferenceSource = {
  url: 'https://github.com/FlightLLM/flightllm_test_demo.git',
  commit: '4a9625149e19c3baccad0786ae0d90bab2410890',
  contentHash: '2d2b1437d933c8668e3aceebbbe64d526e1c9ce4458a91f61aedf3dc9a367020',
};

/** The repository's folders that hold the data, and where each goes in the reference directory. */
const LAYOUT: ReadonlyArray<{ readonly from: string; readonly to: string }> = [
  { from: 'profile/config.yaml', to: 'config.yaml' },
  // The six-case table FlightLLM printed (its "Output Example"), which the tests compare ours with.
  { from: 'profile/README.md', to: 'flightllm-README.md' },
  { from: 'profile/.compiler_output/ir_output', to: 'ir_output' },
  { from: 'profile/.compiler_output/profiler_output', to: 'profiler_output' },
];

/** The files the tool reads from a reference directory, relative to it: the configuration, IR, masks, profiler CSVs and FlightLLM's README (its printed table). */
export function referenceFiles(directory: string): string[] {
  const wanted = (path: string) =>
    path === 'config.yaml' ||
    path === 'flightllm-README.md' ||
    (/^ir_output\/[^/]+\.yaml$/.test(path)) ||
    (/^ir_output\/attention_mask\/[^/]+\.npy$/.test(path)) ||
    (/^profiler_output\/[^/]+\.csv$/.test(path));
  return listFiles(directory)
    .map((path) => path.split(sep).join('/'))
    .filter(wanted)
    .sort();
}

/** A SHA-256 over the path and content of every file {@link referenceFiles} lists: anything else in the directory does not count. */
export function referenceContentHash(directory: string): string {
  return contentHash(...referenceFiles(directory).flatMap((path) => [path, readFileSync(join(directory, path))]));
}

/** Where `fetchReference` puts a source's data below a cache directory: one folder per commit. */
export function fetchedReferenceDirectory(cacheDirectory: string, source: ReferenceSource = FLIGHTLLM_REFERENCE_SOURCE): string {
  return join(cacheDirectory, 'reference', `flightllm-${source.commit.slice(0, 12)}`);
}

/** The team's copy beside a checkout: `../shared/reference/flightllm` from the package root. */
export function siblingReferenceDirectory(): string {
  return fileURLToPath(new URL('../shared/reference/flightllm', PACKAGE_ROOT));
}

/**
 * The reference directory to use, first found of: `$FLIGHTLLM_REFERENCE`, a
 * copy beside the checkout (`../shared/reference/flightllm`), the fetched
 * copy in the cache directory. Undefined when there is none (an explicit
 * `$FLIGHTLLM_REFERENCE` is returned even when absent, for its user to be told).
 */
export function findReferenceDirectory(options: { readonly env: Readonly<Record<string, string | undefined>>; readonly cacheDirectory: string }): string | undefined {
  const explicit = options.env['FLIGHTLLM_REFERENCE'];
  if (explicit !== undefined && explicit !== '') return explicit;
  return [siblingReferenceDirectory(), fetchedReferenceDirectory(options.cacheDirectory)].find((directory) => existsSync(join(directory, 'ir_output')));
}

/** What {@link fetchReference} did. */
export interface FetchedReference {
  readonly directory: string;
  /** False when the directory already held the pinned data and nothing was fetched. */
  readonly fetched: boolean;
  readonly files: number;
  readonly contentHash: string;
}

/**
 * Makes `directory` hold the source's data files, checked by their hash.
 * Nothing is written to `directory` unless the hash matches; a directory that
 * already matches is left as it is. Needs `git` on the PATH.
 */
export function fetchReference(options: { readonly source?: ReferenceSource; readonly directory: string }): FetchedReference {
  const source = options.source ?? FLIGHTLLM_REFERENCE_SOURCE;
  if (existsSync(options.directory)) {
    const present = referenceContentHash(options.directory);
    if (present === source.contentHash) return { directory: options.directory, fetched: false, files: referenceFiles(options.directory).length, contentHash: present };
  }
  mkdirSync(dirname(options.directory), { recursive: true });
  const work = mkdtempSync(join(dirname(options.directory), '.fetch-'));
  try {
    const data = join(work, 'data');
    checkOut(source, join(work, 'repository'), data);
    const hash = referenceContentHash(data);
    if (hash !== source.contentHash) {
      throw new UserError({
        what: `FlightLLM reference data from ${source.url} at ${source.commit} does not have the pinned content`,
        detail: `expected content hash ${source.contentHash}, got ${hash}; nothing was written to ${options.directory}.`,
      });
    }
    rmSync(options.directory, { recursive: true, force: true });
    renameSync(data, options.directory);
    return { directory: options.directory, fetched: true, files: referenceFiles(options.directory).length, contentHash: hash };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Fetches the one commit without its blobs where the server allows it (the
 * repository also holds a bitstream and test vectors the tool never reads),
 * checks out the data folders only, and copies them into `data`.
 */
function checkOut(source: ReferenceSource, repository: string, data: string): void {
  const paths = LAYOUT.map((entry) => entry.from);
  git(['init', '--quiet', repository]);
  git(['-C', repository, 'remote', 'add', 'origin', source.url]);
  git(['-C', repository, 'fetch', '--quiet', '--depth=1', '--filter=blob:none', 'origin', source.commit], source);
  git(['-C', repository, 'checkout', '--quiet', source.commit, '--', ...paths], source);
  for (const entry of LAYOUT) copyTree(join(repository, entry.from), join(data, entry.to));
}

function git(args: readonly string[], source?: ReferenceSource): void {
  try {
    // No background gc (it would outlive the call), no prompt for credentials on a public repository.
    execFileSync('git', ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    const reason = stderr !== undefined && stderr !== '' ? stderr.split('\n').slice(-2).join(' ') : (error as Error).message;
    throw new UserError({
      what: source === undefined ? `git ${args[0]} failed` : `cannot fetch FlightLLM reference data from ${source.url} at ${source.commit}`,
      detail: `${reason} (git ${args.filter((arg) => arg !== '--quiet').join(' ')}).`,
    });
  }
}

function copyTree(from: string, to: string): void {
  if (statSync(from).isFile()) {
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    return;
  }
  for (const path of listFiles(from)) copyTree(join(from, path), join(to, path));
}

function listFiles(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((path) => statSync(join(directory, path)).isFile()).map((path) => relative('.', path));
}
