/**
 * Freezes an object graph in place and returns it. Typed arrays are left as
 * they are: JavaScript cannot freeze them.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) freezeObject(value);
  return value;
}

function freezeObject(value: object): void {
  if (Object.isFrozen(value) || ArrayBuffer.isView(value)) return;
  Object.freeze(value);
  // Children are checked before the call: most of an IR's values are numbers and strings.
  if (Array.isArray(value)) {
    for (const child of value as unknown[]) if (typeof child === 'object' && child !== null) freezeObject(child);
    return;
  }
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null) freezeObject(child);
  }
}
