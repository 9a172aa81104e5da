import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/files.js';
import type { PointEvaluations } from './objectives.js';

/*
 * Finished points, one JSON file each, named by the point's content hash:
 * a rerun (after a crash, a killed job, an added axis value) reuses every
 * point whose inputs are unchanged and computes only the rest. A file is
 * written whole or not at all, so a process killed mid-write leaves no
 * half result; many processes may share the directory.
 */

/** What is kept of a point: its evaluations and objective values, or why its configuration was refused. */
export type StoredPoint =
  | { readonly key: string; readonly status: 'ok'; readonly evaluations: PointEvaluations; readonly metrics: Readonly<Record<string, number | null>> }
  | { readonly key: string; readonly status: 'failed'; readonly message: string };

export class PointStore {
  constructor(readonly directory: string) {}

  /** The point stored under `key`, or undefined when there is none (or it cannot be read). */
  get(key: string): StoredPoint | undefined {
    try {
      const stored = JSON.parse(readFileSync(this.pathOf(key), 'utf8')) as StoredPoint;
      return stored.key === key && (stored.status === 'ok' || stored.status === 'failed') ? stored : undefined;
    } catch {
      return undefined;
    }
  }

  put(point: StoredPoint): void {
    writeFileAtomic(this.pathOf(point.key), `${JSON.stringify(point)}\n`);
  }

  private pathOf(key: string): string {
    return join(this.directory, `${key}.json`);
  }
}
