export { planProgram, emitProgram, emitStep, generateInstructions, type GenerateOptions, type Program } from './generate.js';
export { planSteps, stepName, layerLabel, type Step, type ComputeLayer, type ComputeType } from '../../../ir/steps.js';
export type {
  InstructionSink,
  StreamSink,
  StepInfo,
  LoadInstruction,
  StoreInstruction,
  MatrixInstruction,
  MatrixModule,
  MiscInstruction,
  SysInstruction,
  Tokens,
} from './instructions.js';
