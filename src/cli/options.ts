import { InvalidArgumentError } from 'commander';
import { ContentCache, defaultCacheDirectory } from '../util/cache.js';

/** Commander parser for options that take a positive integer. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}".`);
  return parsed;
}

/** The parse cache the CLI uses unless `--no-cache` is given. */
export function cliCache(enabled: boolean): ContentCache | undefined {
  return enabled ? new ContentCache(defaultCacheDirectory()) : undefined;
}
