import { MODULE_COUNT, MODULES, type ModuleId, type ModuleName } from './layout.js';

/*
 * Modules synchronise through tokens: an instruction may wait for a token
 * from, and release a token to, each other module. Internally a token set is
 * a bit mask over module indices (bit `1 << Module.LD` for LD, ...). In the
 * encoded instruction the 5-bit wait/release fields list the *other* modules
 * in ISA order, the first of them in the most significant bit.
 */

/** Token mask naming the given modules. */
export function tokenMask(...modules: readonly ModuleId[]): number {
  let mask = 0;
  for (const module of modules) mask |= 1 << module;
  return mask;
}

/** Module names in a mask, in ISA order. */
export function maskToNames(mask: number): ModuleName[] {
  return MODULES.filter((_, index) => (mask & (1 << index)) !== 0);
}

/** The encoded 5-bit wait/release field of an instruction of module `own`. */
export function maskToField(own: ModuleId, mask: number): number {
  if ((mask & (1 << own)) !== 0) throw new RangeError(`${MODULES[own]} cannot exchange tokens with itself`);
  let field = 0;
  let position = MODULE_COUNT - 2;
  for (let module = 0; module < MODULE_COUNT; module++) {
    if (module === own) continue;
    if ((mask & (1 << module)) !== 0) field |= 1 << position;
    position--;
  }
  return field;
}

/** Inverse of `maskToField`. */
export function fieldToMask(own: ModuleId, field: number): number {
  let mask = 0;
  let position = MODULE_COUNT - 2;
  for (let module = 0; module < MODULE_COUNT; module++) {
    if (module === own) continue;
    if ((field & (1 << position)) !== 0) mask |= 1 << module;
    position--;
  }
  return mask;
}
