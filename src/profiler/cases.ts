import { z } from 'zod';
import { UsageError, UserError } from '../errors.js';
import { MAX_BATCH_SEQUENCES } from '../batch.js';
import { parseYaml, readTextFile } from '../util/yaml.js';
import { zodIssues } from '../util/zod-issues.js';

/*
 * A case is one request: a prompt of `prompt` tokens, then `generated`
 * tokens decoded one at a time. Its prefill runs at the prompt length and
 * each decode step at the context length so far, both rounded up to the
 * hardware's padding (FlightLLM's IR exists only at multiples of 128 and 16).
 */

export const CaseSchema = z.strictObject({
  batch: z.number().int().positive().max(MAX_BATCH_SEQUENCES),
  prompt: z.number().int().positive(),
  generated: z.number().int().positive(),
});
export type Case = z.infer<typeof CaseSchema>;

export const CaseFileSchema = z.strictObject({ cases: z.array(CaseSchema).min(1) });

/** Token multiples lengths are rounded up to; 1 means exact. */
export interface Padding {
  readonly prefill: number;
  readonly decode: number;
}

/** Latency figures of one case on one device. */
export interface CaseFigures {
  readonly prefillMs: number;
  readonly decodeMs: number;
  readonly totalMs: number;
  /** Generated tokens per second of decode time. */
  readonly tokensPerSecond: number;
}

export type Stage = 'prefill' | 'decode';

export function padTokens(tokens: number, unit: number): number {
  return Math.ceil(tokens / unit) * unit;
}

/** The prefill and decode token counts the cases need simulated, ascending. */
export function lengthsNeeded(cases: readonly Case[], padding: Padding): Record<Stage, number[]> {
  const prefill = new Set<number>();
  const decode = new Set<number>();
  for (const c of cases) {
    prefill.add(padTokens(c.prompt, padding.prefill));
    for (let step = 1; step <= c.generated; step++) decode.add(padTokens(c.prompt + step, padding.decode));
  }
  const ascending = (set: Set<number>) => [...set].sort((a, b) => a - b);
  return { prefill: ascending(prefill), decode: ascending(decode) };
}

/**
 * A case's figures from per-length latencies: prefill at the padded prompt,
 * plus one decode step per generated token at the padded context so far.
 */
export function caseFigures(c: Case, latencyMs: (stage: Stage, tokens: number) => number, padding: Padding): CaseFigures {
  const { prefill: prefillMs, decode: decodeMs } = caseSum(c, latencyMs, padding);
  return { prefillMs, decodeMs, totalMs: prefillMs + decodeMs, tokensPerSecond: (c.generated * c.batch) / (decodeMs / 1000) };
}

/** A per-step quantity (latency, energy) added up over a case: its prefill, and its decode steps. */
export function caseSum(c: Case, valueOf: (stage: Stage, tokens: number) => number, padding: Padding): { prefill: number; decode: number } {
  const prefill = valueOf('prefill', padTokens(c.prompt, padding.prefill));
  let decode = 0;
  for (let step = 1; step <= c.generated; step++) decode += valueOf('decode', padTokens(c.prompt + step, padding.decode));
  return { prefill, decode };
}

/** Parses `1x128x512,1x512x1536` (batch × prompt × generated). */
export function parseCaseList(text: string): Case[] {
  return text.split(',').map((item) => {
    const match = /^\s*(\d+)x(\d+)x(\d+)\s*$/.exec(item);
    if (match === null) throw new UsageError({ what: `invalid case "${item.trim()}" in --cases`, detail: 'expected batch x prompt x generated, e.g. 1x128x512, or a YAML file.' });
    const [batch, prompt, generated] = match.slice(1).map(Number) as [number, number, number];
    if (batch < 1 || prompt < 1 || generated < 1) throw new UsageError({ what: `invalid case "${item.trim()}" in --cases`, detail: 'batch, prompt and generated must be positive.' });
    if (batch > MAX_BATCH_SEQUENCES) throw new UsageError({ what: `invalid case "${item.trim()}" in --cases`, detail: `a batch of at most ${MAX_BATCH_SEQUENCES} sequences is taken (MAX_BATCH_SEQUENCES).` });
    return { batch, prompt, generated };
  });
}

/** Reads a case file: `cases: [{batch, prompt, generated}, ...]`. */
export function loadCases(path: string): Case[] {
  const raw = parseYaml(readTextFile(path, UserError, 'case list'), path, UserError, 'case list');
  const parsed = CaseFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new UserError({ what: 'invalid case list', file: path, issues: zodIssues(parsed.error) });
  return parsed.data.cases;
}

/** `--cases` as given: a file when it ends in .yaml/.yml, a list otherwise. */
export function casesFromOption(value: string): Case[] {
  return /\.ya?ml$/i.test(value) ? loadCases(value) : parseCaseList(value);
}

export function caseLabel(c: Case): string {
  return `${c.batch}x${c.prompt}x${c.generated}`;
}
