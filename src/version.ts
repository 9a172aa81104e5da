import { readFileSync } from 'node:fs';

/** The package root: `src/` and `dist/` both sit directly below it. */
export const PACKAGE_ROOT = new URL('../', import.meta.url);

/** The tool's version, part of every cache key. */
export const TOOL_VERSION: string = (JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version: string }).version;
