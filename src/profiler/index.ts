export { runSimulationJob, jobLabel, type SimulationJob, type SimulationOutcome, type IrFileJob, type CompileJob } from './jobs.js';
export { runSimulationJobs, type RunJobsOptions } from './pool.js';
export { findReferenceCases, compareProfileCsv, compareCaseNames, type ReferenceCase, type CsvComparison } from './conformance.js';
export { profileCases, type ProfileOptions, type ProfileResult, type CaseResult, type ProfileSource } from './profile.js';
export { caseFigures, lengthsNeeded, padTokens, parseCaseList, loadCases, casesFromOption, caseLabel, CaseSchema, type Case, type CaseFigures, type Padding, type Stage } from './cases.js';
export { loadGpuProfile, gpuFigures, GpuRowSchema, GPU_CSV_COLUMNS, type GpuProfile, type GpuRow } from './gpu.js';
export { formatCaseTable, type CaseTable, type TableCase } from './table.js';
