import { formatFixed } from '../util/format.js';
import type { Profile } from '../backends/profile.js';

/*
 * FlightLLM's profiler CSV: one row per module in ISA order (or in the
 * profile's module order for other kinds of hardware), then TOTAL.
 * `part_time` is the module's busy time in ms, `part_time_ratio` its share
 * of the end-to-end latency in percent; TOTAL's `part_time` is the latency.
 * Numbers are printed like C's printf("%f"), as FlightLLM's Python does.
 */

export const PROFILE_CSV_HEADER = 'inst_type,inst_cnt,part_time,part_time_ratio';

/** The profile as FlightLLM's CSV, byte for byte. */
export function profileToCsv(profile: Profile): string {
  const lines = [PROFILE_CSV_HEADER];
  for (const name of profile.moduleNames) {
    const { count, busyMs } = profile.modules[name]!;
    lines.push(count > 0 ? `${name},${count},${formatFixed(busyMs)},${formatFixed((busyMs / profile.totalMs) * 100)}` : `${name},${count},0,0`);
  }
  lines.push(`TOTAL,${profile.instructionCount},${formatFixed(profile.totalMs)},100`);
  return `${lines.join('\n')}\n`;
}

/** One row of a profiler CSV. */
export interface ProfileCsvRow {
  readonly type: string;
  readonly count: number;
  readonly timeMs: number;
  readonly ratioPercent: number;
}

/** Parses a profiler CSV; returns the rows, or a message saying what is wrong. */
export function parseProfileCsv(text: string): ProfileCsvRow[] | string {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines[0]?.trim() !== PROFILE_CSV_HEADER) return `line 1: expected the header "${PROFILE_CSV_HEADER}"`;
  const rows: ProfileCsvRow[] = [];
  for (const [index, line] of lines.slice(1).entries()) {
    const fields = line.split(',');
    const [type, count, time, ratio] = fields;
    const numbers = [count, time, ratio].map(Number);
    if (fields.length !== 4 || type === undefined || numbers.some((value) => !Number.isFinite(value))) {
      return `line ${index + 2}: expected "type,count,time,ratio", got "${line}"`;
    }
    rows.push({ type, count: numbers[0]!, timeMs: numbers[1]!, ratioPercent: numbers[2]! });
  }
  return rows;
}
