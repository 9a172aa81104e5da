import type { z } from 'zod';
import type { Issue } from '../errors.js';

/** Formats a zod path the way a user writes it: `buffers.a.depthWords`, `[3].input[0].shape`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Short, quoted description of an offending value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return 'a mapping';
}

/**
 * Converts zod issues into our issue list. Parse with `{ reportInput: true }` so
 * each message can say what value was found.
 */
export function zodIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.errors.every((branch) => branch.length > 0)) {
      // Report the branch that got furthest: its issues have the longest paths.
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? [];
      for (const inner of best) out.push(toIssue(inner, [...prefix, ...issue.path]));
      continue;
    }
    out.push(toIssue(issue, prefix));
  }
  return out;
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(...issues.map((issue) => issue.path.length));
}

function toIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): Issue {
  const path = formatPath([...prefix, ...issue.path]);
  const discriminator = (issue as { discriminator?: string }).discriminator;
  if (issue.code === 'invalid_union' && discriminator !== undefined) {
    const options = (issue as { options?: unknown[] }).options ?? [];
    const found = (issue.input as Record<string, unknown> | undefined)?.[discriminator];
    return { path, message: `unknown ${discriminator} ${describeValue(found)}, expected one of ${options.join(', ')}` };
  }
  const found = 'input' in issue ? `, got ${describeValue(issue.input)}` : '';
  return { path, message: `${plainMessage(issue)}${found}` };
}

function plainMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${article(issue.expected)}`;
    case 'too_small':
      return issue.origin === 'array' ? `expected at least ${issue.minimum} entries` : `expected a value ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `expected at most ${issue.maximum} entries` : `expected a value ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_key':
      // A record's key refused: what its own schema said.
      return issue.issues.map((inner) => plainMessage(inner)).join('; ');
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return issue.message;
  }
}

function article(type: string): string {
  if (type === 'int') return 'an integer';
  if (type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
