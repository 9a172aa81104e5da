export {
  MODULES,
  Module,
  MODULE_COUNT,
  LAYOUTS,
  LOAD_TARGETS,
  MISC_OPERATIONS,
  type ModuleName,
  type ModuleId,
  type Slice,
  type InstructionLayout,
  type LoadTarget,
  type MiscOperation,
} from './layout.js';
export { tokenMask, maskToNames, maskToField, fieldToMask } from './tokens.js';
export { encodeInstruction, decodeInstruction, toHex, fromHex, fieldWidth, type FieldValues, type DecodedInstruction } from './encode.js';
