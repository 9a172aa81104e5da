import { dtypeBits, type Dtype } from '../../../../dtype.js';
import { weightBitsPerElement } from '../../../../compiler/target.js';
import { flightllmTarget } from '../../target.js';
import type { FlightLlmHardware } from '../../schema.js';
import type { Param, Tensor } from '../../../../ir/index.js';
import type { LayerIssues } from './common.js';

/*
 * How precision scales the work of an instruction. The generator counts
 * transfers in elements of one byte (FlightLLM's int8 layout) and tiles
 * buffers the same way; a tensor of other width moves proportionally more or
 * fewer bytes, which the simulator sees as a bandwidth multiplier. Engine
 * throughput by precision comes from the hardware's `precision` tables.
 */

/** Bits per element the generator's byte counts assume. */
const LAYOUT_BITS = 8;

/** Bandwidth multiplier of moving elements of `bits` each. */
export function transferRatio(bits: number): number {
  return LAYOUT_BITS / bits;
}

/** Bandwidth multiplier of an activation or KV-cache tensor. */
export function tensorRatio(tensor: Tensor): number {
  return transferRatio(dtypeBits(tensor.dtype));
}

/** Bits a weight streams with per element: its own `stream_bits` (else the hardware's convention for its dtype) and its share of group scales. */
export function weightStreamBits(weight: Param, hw: FlightLlmHardware): number {
  return weightBitsPerElement(weight, flightllmTarget(hw));
}

/** Matrix-engine throughput for `a` × `b`, or an issue (and 1) when the engine cannot multiply them. */
export function matrixRate(hw: FlightLlmHardware, operands: { a: Dtype; b: Dtype }, issues: LayerIssues, field: string): number {
  const rate = hw.precision.matrixRate[operands.a]?.[operands.b];
  if (rate !== undefined) return rate;
  issues.add(field, `${hw.name}'s matrix engine cannot multiply ${operands.a} by ${operands.b} (no precision.matrixRate.${operands.a}.${operands.b})`);
  return 1;
}

/** Vector-engine throughput for `dtype`, or an issue (and 1) when the engine has no rate for it. */
export function vectorRate(hw: FlightLlmHardware, dtype: Dtype, issues: LayerIssues, field: string): number {
  const rate = hw.precision.vectorRate[dtype];
  if (rate !== undefined) return rate;
  issues.add(field, `${hw.name}'s vector engine has no rate for ${dtype} data (no precision.vectorRate.${dtype})`);
  return 1;
}
