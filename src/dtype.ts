/*
 * Element types a tensor may have, and how many bits one element takes.
 * Shared by the IR, model and hardware formats.
 */

export const DTYPES = ['bool', 'int4', 'int8', 'int16', 'int32', 'fp8', 'fp16', 'bf16', 'fp32'] as const;
export type Dtype = (typeof DTYPES)[number];

const BITS: Readonly<Record<Dtype, number>> = { bool: 1, int4: 4, int8: 8, int16: 16, int32: 32, fp8: 8, fp16: 16, bf16: 16, fp32: 32 };

export function dtypeBits(dtype: Dtype): number {
  return BITS[dtype];
}

/** Bytes `elements` values of `bits` each occupy, rounded up. */
export function bytesOf(elements: number, bits: number): number {
  return Math.ceil((elements * bits) / 8);
}
