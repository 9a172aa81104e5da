import { Module } from '../../isa/index.js';

/** Single-module token masks, for readable wait/release sets: `T.LD | T.MM`. */
export const T = {
  LD: 1 << Module.LD,
  ST: 1 << Module.ST,
  MM: 1 << Module.MM,
  MV: 1 << Module.MV,
  MISC: 1 << Module.MISC,
  SYS: 1 << Module.SYS,
  NONE: 0,
} as const;

/** `mask` when `condition` holds, else no token. */
export function when(condition: boolean, mask: number): number {
  return condition ? mask : 0;
}
