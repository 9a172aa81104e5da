import { deviceLabel, type Hardware } from '../backends/index.js';
import type { CaseFigures } from './cases.js';
import { compareWithGpu } from './compare.js';
import type { GpuProfile } from './gpu.js';
import { modelDims, summarizeRouting, type ExpertStepSummary } from '../model/index.js';
import type { ProfileResult, ProfileSource } from './profile.js';
import { formatCaseTable } from './table.js';

/*
 * What `profile` prints, from the library: the case table in FlightLLM's
 * layout beside GPU profiles, or one JSON document. Notebooks call the same
 * functions the CLI does.
 */

/** A profiled board and model, as reported. */
export interface ProfileRun {
  readonly hardware: Hardware;
  /** The model as shown (`LLaMA2-7B`, `LLaMA2-7B (FP16)`). */
  readonly label: string;
  readonly result: ProfileResult;
  /** What was profiled: a mixture of experts' model has its expert load reported. */
  readonly source?: ProfileSource | undefined;
}

/** The routing a case's steps rest on: its prefill's (batch × prompt tokens) and its decodes' (batch tokens). */
export interface CaseExperts {
  readonly prefill: ExpertStepSummary;
  readonly decode: ExpertStepSummary;
}

/** Each case's expert routing, for a mixture of experts; undefined for a dense model or FlightLLM's IR files. */
export function profileExperts(run: ProfileRun): CaseExperts[] | undefined {
  const experts = run.source?.kind === 'model' ? modelDims(run.source.model).experts : undefined;
  if (experts === undefined) return undefined;
  return run.result.cases.map((row) => ({ prefill: summarizeRouting(experts, row.case.batch * row.case.prompt), decode: summarizeRouting(experts, row.case.batch) }));
}

/** A line under the table saying the expert load assumed and the experts each case's steps run; empty for a dense model. */
function expertNote(run: ProfileRun): string {
  const routing = profileExperts(run);
  if (routing === undefined || routing.length === 0) return '';
  const first = routing[0]!.decode;
  const cases = run.result.cases.map((row, index) => `${row.case.batch}x${row.case.prompt}x${row.case.generated}: prefill ${routing[index]!.prefill.activeExperts}, decode ${routing[index]!.decode.activeExperts}`);
  return `Expert load (assumed): ${first.load}; top-${first.expertsPerToken} of ${first.routedExperts} routed experts${first.sharedExperts > 0 ? ` + ${first.sharedExperts} shared` : ''}; experts run per sparse layer: ${cases.join('; ')}\n`;
}

/** FlightLLM's table for the run's cases beside the GPU profiles, with the bound column and energy rows unless asked not to. */
export function profileTable(run: ProfileRun, gpus: readonly GpuProfile[], options: { bound?: boolean; energy?: boolean } = {}): string {
  const comparison = compareWithGpu(run.result.cases, gpus, { deviceCasesOnly: true });
  const table = formatCaseTable({
    model: run.label,
    deviceLabel: deviceLabel(run.hardware),
    showBound: options.bound !== false,
    showEnergy: options.energy !== false && run.hardware.energy !== undefined,
    rows: comparison.cases.map((row, index) => ({
      case: row.case,
      device: row.device,
      bound: run.result.cases[index]?.bound,
      energy: run.result.cases[index]?.energy,
      gpus: comparison.backends.map((label) => ({ label, figures: row.gpu[label] })),
    })),
  });
  return `${table}${expertNote(run)}`;
}

export interface ProfileDocumentCase {
  readonly batch: number;
  readonly prompt: number;
  readonly generated: number;
  /** The simulated board's figures. */
  readonly device: CaseFigures;
  /** @deprecated The same figures under their name before 0.2; removed in 0.3. */
  readonly fpga: CaseFigures;
  readonly bound: CaseFigures;
  readonly boundMs: { readonly prefill: number; readonly decode: number };
  /** Null where the board's file describes no energy. */
  readonly energy: { readonly joules: number; readonly averageWatts: number; readonly tokensPerJoule: number; readonly joulesPerRequest: number; readonly tokensPerDollar: number | null } | null;
  /** Each GPU profile's figures; null where it lacks the case (listed, never invented). */
  readonly gpu: Readonly<Record<string, CaseFigures | null>>;
}

/** The document `profile --json` prints. */
export interface ProfileDocument {
  readonly hardware: string;
  readonly model: string;
  /** A mixture of experts: the expert load assumed and the experts each case's prefill and decode run; null for a dense model. */
  readonly experts: readonly CaseExperts[] | null;
  readonly cases: readonly ProfileDocumentCase[];
}

export function profileDocument(run: ProfileRun, gpus: readonly GpuProfile[]): ProfileDocument {
  const comparison = compareWithGpu(run.result.cases, gpus, { deviceCasesOnly: true });
  return {
    hardware: run.hardware.name,
    model: run.label,
    experts: profileExperts(run) ?? null,
    cases: run.result.cases.map((row, index) => ({
      ...row.case,
      device: row.device,
      fpga: row.device,
      bound: row.bound,
      boundMs: { prefill: row.bound.prefillMs, decode: row.bound.decodeMs },
      energy: row.energy === undefined ? null : { joules: row.energy.joules, averageWatts: row.energy.averageWatts, tokensPerJoule: row.energy.tokensPerJoule, joulesPerRequest: row.energy.joulesPerRequest, tokensPerDollar: row.energy.tokensPerDollar ?? null },
      gpu: Object.fromEntries(comparison.backends.map((label) => [label, comparison.cases[index]!.gpu[label] ?? null])),
    })),
  };
}
