import { z } from 'zod';
import { UserError } from '../errors.js';
import { parseJsonFile } from '../util/json.js';
import { zodIssues } from '../util/zod-issues.js';
import { caseLabel, CaseSchema, type Case, type CaseFigures } from './cases.js';
import { gpuFigures, type GpuProfile } from './gpu.js';

/*
 * Comparing the FPGA with GPU profiles, case by case. A case that only one
 * side has is kept, with the other side empty, and listed as missing: no
 * figure is ever invented.
 */

/** A simulated board's figures for one case. */
export interface DeviceCase {
  readonly case: Case;
  readonly device: CaseFigures;
}

export interface ComparedCase {
  readonly case: Case;
  readonly device: CaseFigures | undefined;
  readonly gpu: Readonly<Record<string, CaseFigures | undefined>>;
  /** GPU total time over FPGA total time, per backend; undefined where either side lacks the case. */
  readonly speedup: Readonly<Record<string, number | undefined>>;
}

export interface Comparison {
  readonly backends: readonly string[];
  readonly cases: readonly ComparedCase[];
  /** One line per figure a side lacks, e.g. `1x128x2048: no FPGA figures`. */
  readonly missing: readonly string[];
}

/**
 * Pairs FPGA and GPU figures case by case. With `deviceCasesOnly`, only the
 * FPGA's cases are listed; otherwise cases only a GPU profile has are added.
 */
export function compareWithGpu(simulated: readonly DeviceCase[], gpus: readonly GpuProfile[], options: { deviceCasesOnly?: boolean } = {}): Comparison {
  const cases: Case[] = simulated.map((row) => row.case);
  if (options.deviceCasesOnly !== true) {
    for (const gpu of gpus) for (const row of gpu.rows) if (!cases.some((c) => sameCase(c, row))) cases.push({ batch: row.batch, prompt: row.prompt, generated: row.generated });
  }
  const missing: string[] = [];
  const compared = cases.map((c): ComparedCase => {
    const ours = simulated.find((row) => sameCase(row.case, c))?.device;
    if (ours === undefined) missing.push(`${caseLabel(c)}: no FPGA figures`);
    const gpu: Record<string, CaseFigures | undefined> = {};
    const speedup: Record<string, number | undefined> = {};
    for (const profile of gpus) {
      const figures = gpuFigures(profile, c);
      if (figures === undefined) missing.push(`${caseLabel(c)}: not in ${profile.label} (${profile.file})`);
      gpu[profile.label] = figures;
      speedup[profile.label] = figures !== undefined && ours !== undefined ? figures.totalMs / ours.totalMs : undefined;
    }
    return { case: c, device: ours, gpu, speedup };
  });
  return { backends: gpus.map((gpu) => gpu.label), cases: compared, missing };
}

function sameCase(a: Case, b: Case): boolean {
  return a.batch === b.batch && a.prompt === b.prompt && a.generated === b.generated;
}

const FiguresSchema = z.strictObject({ prefillMs: z.number(), decodeMs: z.number(), totalMs: z.number(), tokensPerSecond: z.number() });

/** The document `profile --json` prints. */
export const ProfileJsonSchema = z.object({
  hardware: z.string(),
  model: z.string(),
  cases: z.array(
    CaseSchema.extend({
      device: FiguresSchema.optional(),
      /** Deprecated: what `device` was called before 0.2; read from files saved then. */
      fpga: FiguresSchema.optional(),
      bound: FiguresSchema.optional(),
      boundMs: z.strictObject({ prefill: z.number(), decode: z.number() }).optional(),
      energy: z
        .strictObject({ joules: z.number(), averageWatts: z.number(), tokensPerJoule: z.number(), joulesPerRequest: z.number(), tokensPerDollar: z.number().nullable() })
        .nullable()
        .optional(),
      gpu: z.record(z.string(), FiguresSchema.nullable()).optional(),
    }),
  ),
});
type SavedProfile = z.infer<typeof ProfileJsonSchema>;

/** A saved profile with every case's figures under `device`. */
export type ProfileJson = Omit<SavedProfile, 'cases'> & { readonly cases: ReadonlyArray<Omit<SavedProfile['cases'][number], 'device' | 'fpga'> & { readonly device: CaseFigures }> };

/** Reads a board's figures saved from `profile --json` (files from before 0.2 name them `fpga`). */
export function loadFpgaProfile(path: string): ProfileJson {
  // profile --json writes JSON: read as JSON, so that a truncated file is called what it is.
  const raw = parseJsonFile(path, 'FPGA profile');
  const parsed = ProfileJsonSchema.safeParse(raw, { reportInput: true });
  const what = 'invalid FPGA profile (expected the output of profile --json)';
  if (!parsed.success) throw new UserError({ what, file: path, issues: zodIssues(parsed.error) });
  const cases = parsed.data.cases.map(({ device, fpga, ...rest }) => ({ ...rest, device: device ?? fpga }));
  const lacking = cases.findIndex((c) => c.device === undefined);
  if (lacking >= 0) throw new UserError({ what, file: path, issues: [{ path: `cases[${lacking}].device`, message: "expected the case's figures (device; fpga in files saved before 0.2)" }] });
  return { ...parsed.data, cases: cases as ProfileJson['cases'] };
}
