import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { OutputError } from '../errors.js';
import { describeFsError } from './yaml.js';

/*
 * The files one command writes, written as a set: each goes to a temporary
 * beside its target, and only when every one is written are they renamed
 * into place. A failure at any step (a target that is a directory, a parent
 * that is a file, no permission, a full disk) is one OutputError naming the
 * path, and leaves nothing of this set behind: temporaries are removed,
 * files already renamed are put back as they were, and directories the set
 * created are removed again.
 */

type Content = { readonly data: string | Uint8Array } | { readonly temporary: string };

export class OutputSet {
  private readonly files = new Map<string, Content>();

  /** Adds a file; a later add of the same path replaces it. */
  add(path: string, data: string | Uint8Array): this {
    this.files.set(resolve(path), { data });
    return this;
  }

  /** Adds a file already written to `temporary` (beside `path`, as `temporaryBeside` names it): a stream too large to hold. */
  adopt(path: string, temporary: string): this {
    this.files.set(resolve(path), { temporary });
    return this;
  }

  get paths(): string[] {
    return [...this.files.keys()];
  }

  /** Writes every file, or none: see above. */
  commit(): void {
    try {
      checkOutputPaths(this.paths);
    } catch (error) {
      this.abandon();
      throw error;
    }
    const created: string[] = [];
    const temporaries = new Map<string, string>();
    try {
      for (const [path, content] of this.files) {
        const made = makeDirectory(dirname(path));
        if (made !== undefined) created.push(made);
        temporaries.set(path, 'data' in content ? writeTemporary(path, content.data) : content.temporary);
      }
    } catch (error) {
      for (const temporary of temporaries.values()) rmSync(temporary, { force: true });
      for (const content of this.files.values()) if ('temporary' in content) rmSync(content.temporary, { force: true });
      removeDirectories(created);
      throw error;
    }
    renameAll(temporaries, created);
  }

  /** Removes the temporaries of adopted files: the set will not be committed. */
  abandon(): void {
    for (const content of this.files.values()) if ('temporary' in content) rmSync(content.temporary, { force: true });
  }
}

/** A temporary file name beside `path`, as the set uses (hidden, ending in .tmp). */
export function temporaryBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Fails at once, with one OutputError, unless every path can be written: it
 * is not a directory, and its nearest existing ancestor is a writable
 * directory. Commands call it before long work, so that a bad --out is
 * reported before the work, not after.
 */
export function checkOutputPaths(paths: readonly string[]): void {
  for (const path of paths) {
    const reason = whyUnwritable(resolve(path));
    if (reason !== undefined) throw new OutputError({ what: 'cannot write output', file: path, detail: reason });
  }
}

/** Same, for a directory that outputs will be written into. */
export function checkOutputDirectory(directory: string): void {
  const path = resolve(directory);
  if (existsSync(path) && !statSync(path).isDirectory()) throw new OutputError({ what: 'cannot write output', file: directory, detail: 'it is a file, not a directory.' });
  const reason = whyUnwritable(join(path, '.probe'));
  if (reason !== undefined) throw new OutputError({ what: 'cannot write output', file: directory, detail: reason });
}

function whyUnwritable(path: string): string | undefined {
  if (existsSync(path) && statSync(path).isDirectory()) return 'it is a directory, not a file.';
  let ancestor = dirname(path);
  while (!existsSync(ancestor)) ancestor = dirname(ancestor);
  if (!statSync(ancestor).isDirectory()) return `${ancestor} is a file, not a directory.`;
  try {
    accessSync(ancestor, constants.W_OK);
  } catch {
    return `${ancestor} is not writable (permission denied).`;
  }
  return undefined;
}

/** Creates a directory and its parents; returns the topmost one created, if any. */
function makeDirectory(directory: string): string | undefined {
  try {
    return mkdirSync(directory, { recursive: true });
  } catch (error) {
    throw new OutputError({ what: 'cannot write output', file: directory, detail: describeFsError(error) });
  }
}

function writeTemporary(path: string, data: string | Uint8Array): string {
  const temporary = temporaryBeside(path);
  try {
    writeFileSync(temporary, data);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new OutputError({ what: 'cannot write output', file: path, detail: describeFsError(error) });
  }
  return temporary;
}

/** Renames every temporary into place; on a failure, puts back what was there and removes what was new. */
function renameAll(temporaries: ReadonlyMap<string, string>, created: readonly string[]): void {
  const done: Array<{ path: string; backup: string | undefined }> = [];
  let failing: string | undefined;
  try {
    for (const [path, temporary] of temporaries) {
      failing = path;
      const backup = existsSync(path) ? temporaryBeside(path) : undefined;
      if (backup !== undefined) renameSync(path, backup);
      done.push({ path, backup });
      renameSync(temporary, path);
    }
  } catch (error) {
    for (const { path, backup } of done.reverse()) {
      rmSync(path, { force: true });
      if (backup !== undefined) renameSync(backup, path);
    }
    for (const temporary of temporaries.values()) rmSync(temporary, { force: true });
    removeDirectories(created);
    throw new OutputError({ what: 'cannot write output', file: failing, detail: describeFsError(error) });
  }
  for (const { backup } of done) if (backup !== undefined) rmSync(backup, { force: true });
}

function removeDirectories(created: readonly string[]): void {
  for (const directory of [...created].reverse()) rmSync(directory, { recursive: true, force: true });
}
