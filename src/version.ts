import { existsSync, readFileSync } from 'node:fs';

/**
 * The package root: the nearest folder above this module holding the
 * package's `package.json` (`src/` and `dist/` sit directly below it, the
 * bundled CLI in `dist/bundle/` deeper).
 */
export const PACKAGE_ROOT = packageRoot(new URL('../', import.meta.url));

function packageRoot(start: URL): URL {
  for (let folder = start; ; folder = new URL('../', folder)) {
    if (existsSync(new URL('package.json', folder))) return folder;
    if (folder.pathname === '/') throw new Error(`internal: no package.json above ${start.pathname}`);
  }
}

/** The tool's version, part of every cache key. */
export const TOOL_VERSION: string = (JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version: string }).version;
