export { createStepCostModel, type StepCost, type ExactStepCost, type StepCostModel, type StepCostOptions } from './model.js';
