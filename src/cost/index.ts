export { createStepCostModel, type StepCost, type ExactStepCost, type StepCostModel, type StepCostOptions } from './model.js';
export { measureStep, measuredEnergy, moduleBusyMs, checkAboveBound, BOUND_TOLERANCE, type MeasuredStep, type MeasureOptions } from './measure.js';
