import type { Command } from 'commander';
import { FLIGHTLLM_REFERENCE_SOURCE, fetchedReferenceDirectory, fetchReference } from '../../profiler/index.js';
import { defaultCacheDirectory } from '../../util/cache.js';
import type { CliIo } from '../io.js';

interface FetchReferenceOptions {
  url?: string;
  dir?: string;
}

export function addOptions(command: Command): Command {
  return command
    .option('--url <git-url>', `where to clone FlightLLM/flightllm_test_demo from (default: $FLIGHTLLM_REFERENCE_URL, else ${FLIGHTLLM_REFERENCE_SOURCE.url})`)
    .option('--dir <dir>', 'where to put the data (default: reference/ in the cache directory, where every command looks for it)');
}

/** Clones the pinned commit, checks the data files' hash, and says where they are. */
export function run(options: FetchReferenceOptions, io: CliIo): void {
  const url = options.url ?? nonEmpty(io.env['FLIGHTLLM_REFERENCE_URL']) ?? FLIGHTLLM_REFERENCE_SOURCE.url;
  const directory = options.dir ?? fetchedReferenceDirectory(defaultCacheDirectory(io.env));
  io.stderr.write(`fpga-llm-sim: FlightLLM's reference data from ${url} at ${FLIGHTLLM_REFERENCE_SOURCE.commit.slice(0, 12)} (about 51 MB unless already present)\n`);
  const fetched = fetchReference({ source: { ...FLIGHTLLM_REFERENCE_SOURCE, url }, directory });
  const what = fetched.fetched ? 'fetched' : 'already present';
  io.stdout.write(`${what}: ${fetched.files} files, content hash ${fetched.contentHash.slice(0, 16)}… as pinned, in ${fetched.directory}\n`);
  if (options.dir !== undefined) io.stdout.write(`set FLIGHTLLM_REFERENCE=${fetched.directory} for the tests and conformance to find it\n`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
