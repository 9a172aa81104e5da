export { createStepCostModel, type StepCost, type StepCostModel, type StepCostOptions } from './model.js';
