export { runSimulationJob, type SimulationJob, type SimulationOutcome } from './jobs.js';
export { runSimulationJobs, type RunJobsOptions } from './pool.js';
export { findReferenceCases, compareProfileCsv, compareCaseNames, type ReferenceCase, type CsvComparison } from './conformance.js';
