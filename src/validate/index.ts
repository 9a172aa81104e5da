export { validate, availableHere, type ValidationOptions, type ValidationReport } from './validate.js';
export { loadMeasurements, MEASUREMENT_COLUMNS, type Measurement } from './measurements.js';
export { planValidation, MAX_SIMULATED_REQUESTS, type ValidationCase, type CaseLayout, type CaseWorkload, type CasePrecision, type Figure, type SkippedRow, type Available } from './plan.js';
export { simulateCases, runCaseSteps, type ValidationPoint, type RefusedCase, type RunOptions } from './run.js';
export { FIT_RULES, splitOf, type SplitRule } from './split.js';
export { summarise, errorSummary, type ErrorSummary, type ValidationSummary } from './summary.js';
export { paritySpec } from './figures.js';
export { loadBaseline, compareWithBaseline, baselineOf, BaselineSchema, type Baseline } from './baseline.js';
export { fitStack, fitPower, mergedSteps, type StackFit, type StackFitOptions, type PowerFit, type PowerFitOptions } from './fit.js';
