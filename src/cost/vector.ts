/*
 * The cost of a part of a step as one flat vector, so parts can be added,
 * scaled and interpolated without knowing what they hold:
 *   [time ms, busy ms of each module…, bound memory ms, bound compute ms,
 *    dynamic energy J]
 * A part made of groups (one per projection, say) is several such vectors
 * back to back.
 */

export const TIME = 0;
export const FIRST_MODULE = 1;

/** Length of one cost vector for hardware reporting `modules` modules. */
export function costLength(modules: number): number {
  return modules + 4;
}

export function boundMemoryIndex(modules: number): number {
  return modules + 1;
}

export function boundComputeIndex(modules: number): number {
  return modules + 2;
}

/** `into += scale × from` over `from`'s slice [offset, offset + length). */
export function addScaled(into: Float64Array, from: ArrayLike<number>, scale = 1, offset = 0, length = into.length): void {
  for (let i = 0; i < length; i++) into[i]! += scale * from[offset + i]!;
}

/** a + t × (b − a), element by element. */
export function lerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + t * (b[i]! - a[i]!);
  return out;
}

/** Energy beyond idle power from the work done (bytes, operations, link traffic, host busy time), J. */
export function dynamicEnergyIndex(modules: number): number {
  return modules + 3;
}
