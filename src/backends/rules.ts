import type { Issue } from '../errors.js';

/*
 * Consistency rules between hardware values that a kind's generator and
 * latency model rely on. Each rule names the field it reports on and says
 * what was expected; the checker returns every broken rule as data.
 */

export interface Rule<H> {
  readonly path: string;
  /** Undefined when the rule holds; otherwise the expectation, including the value found. */
  readonly check: (hw: H) => string | undefined;
}

export const multipleOf = (value: number, unit: number, unitName: string): string | undefined =>
  value % unit === 0 ? undefined : `must be a multiple of ${unitName} (${unit}), got ${value}`;

export const equals = (value: number, expected: number, expectedName: string): string | undefined =>
  value === expected ? undefined : `must equal ${expectedName} (${expected}), got ${value}`;

/** Every rule the hardware breaks. */
export function brokenRules<H>(hw: H, rules: ReadonlyArray<Rule<H>>): Issue[] {
  const issues: Issue[] = [];
  for (const rule of rules) {
    const message = rule.check(hw);
    if (message !== undefined) issues.push({ path: rule.path, message });
  }
  return issues;
}
