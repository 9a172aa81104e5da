import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { all as allFactories, create as createMath, MathJsInstance, MathNode } from 'mathjs';
import type { Issue } from '../errors.js';
import { bracketDepth, constantNamed, evaluateNode, EXPRESSION_SYNTAX, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH, referencedPaths, refusedConstruct } from './expression-language.js';
import { describeValue } from '../util/zod-issues.js';
import { PACKAGE_ROOT } from '../version.js';

/*
 * Configuration values may be derived from other values: a string starting
 * with "=" is an expression over absolute dotted paths of the same file,
 * e.g. `channelWidthBytes: "= buffers.a.bankWidthBytes * 16"`, in mathjs's
 * syntax but limited to what expression-language.ts allows (arithmetic,
 * comparisons, a few functions: no assignment). Expressions may refer to
 * other expressions; cycles and unknown keys are reported as issues.
 */

const EXPRESSION_PREFIX = '=';

type MathJs = MathJsInstance;
let mathjs: MathJs | undefined;

/** mathjs is loaded only when a file uses expressions. */
function math(): MathJs {
  mathjs ??= lazyMath();
  return mathjs;
}

/**
 * `create(all)`: mathjs's default configuration, with each function made the
 * first time an expression uses it. The factories come from the bundle
 * `npm run build` writes (see mathjs-factories.ts), or from the package
 * itself, which then builds its default instance on import (0.5 s).
 */
function lazyMath(): MathJs {
  const bundled = fileURLToPath(new URL('dist/bundle/mathjs.cjs', PACKAGE_ROOT));
  const { create, all } = createRequire(import.meta.url)(existsSync(bundled) ? bundled : 'mathjs') as { create: typeof createMath; all: typeof allFactories };
  return create(all);
}

/** True if any string value in the tree is an expression. */
export function hasExpressions(tree: unknown): boolean {
  if (typeof tree === 'string') return tree.trimStart().startsWith(EXPRESSION_PREFIX);
  if (Array.isArray(tree)) return tree.some(hasExpressions);
  if (isMapping(tree)) return Object.values(tree).some(hasExpressions);
  return false;
}

/**
 * Returns a copy of the tree with every expression replaced by its value, and
 * the problems met on the way. The input is not modified.
 */
export function resolveExpressions(tree: unknown): { value: unknown; issues: Issue[] } {
  const expressions = new Map<string, string>();
  collectExpressions(tree, [], expressions);
  if (expressions.size === 0) return { value: tree, issues: [] };
  const resolver = new Resolver(structuredClone(tree), expressions);
  for (const path of expressions.keys()) resolver.resolve(path, []);
  return { value: resolver.tree, issues: resolver.issues };
}

class Resolver {
  readonly issues: Issue[] = [];
  private readonly state = new Map<string, 'resolving' | 'done'>();

  constructor(
    readonly tree: unknown,
    private readonly expressions: ReadonlyMap<string, string>,
  ) {}

  resolve(path: string, chain: readonly string[]): void {
    const state = this.state.get(path);
    if (state === 'done') return;
    if (state === 'resolving') {
      this.fail(path, `expression refers to itself through ${[...chain, path].join(' -> ')}`);
      return;
    }
    this.state.set(path, 'resolving');
    const source = this.expressions.get(path) ?? '';
    const value = this.evaluate(path, source.trimStart().slice(EXPRESSION_PREFIX.length), [...chain, path]);
    setPath(this.tree, path.split('.'), value);
    this.state.set(path, 'done');
  }

  private evaluate(path: string, source: string, chain: readonly string[]): number {
    const node = this.parse(path, source);
    if (node === undefined) return Number.NaN;
    for (const reference of referencedPaths(node)) {
      if (!this.resolveReference(path, reference, chain) && constantNamed(reference) === undefined) {
        return this.fail(path, `expression refers to unknown key ${reference}`);
      }
      const value = getPath(this.tree, reference.split('.'));
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
        // The value is at fault, not the expression: report it where it is.
        this.fail(reference, `expected a number, got ${describeValue(value)} (used by ${path})`);
        return Number.NaN;
      }
    }
    if (this.issues.some((issue) => chain.includes(issue.path))) return Number.NaN;
    const result = evaluateNode(node, (reference) => (getPath(this.tree, reference.split('.')) as number | undefined) ?? constantNamed(reference)!);
    if (!Number.isFinite(result)) return this.fail(path, `expression ${JSON.stringify(source)} must give a finite number, got ${String(result)}`);
    return result;
  }

  /** The expression's syntax tree, if it is short, shallow and within the whitelist; else an issue. */
  private parse(path: string, source: string): MathNode | undefined {
    if (source.length > MAX_EXPRESSION_LENGTH) {
      this.fail(path, `expression of ${source.length} characters: at most ${MAX_EXPRESSION_LENGTH} are taken (MAX_EXPRESSION_LENGTH)`);
      return undefined;
    }
    if (bracketDepth(source) > MAX_EXPRESSION_DEPTH) {
      this.fail(path, `expression nests brackets ${bracketDepth(source)} deep: at most ${MAX_EXPRESSION_DEPTH} are taken (MAX_EXPRESSION_DEPTH)`);
      return undefined;
    }
    let node: MathNode;
    try {
      node = math().parse(source);
    } catch (error) {
      this.fail(path, `cannot parse expression ${JSON.stringify(source)}: ${(error as Error).message}`);
      return undefined;
    }
    const refused = refusedConstruct(node);
    if (refused === undefined) return node;
    this.fail(path, `expression ${JSON.stringify(source)} uses ${refused}, which expressions may not: they take ${EXPRESSION_SYNTAX}`);
    return undefined;
  }

  /** Resolves every expression the reference depends on; false if the key does not exist. */
  private resolveReference(path: string, reference: string, chain: readonly string[]): boolean {
    for (const other of this.expressions.keys()) {
      if (other === reference || other.startsWith(`${reference}.`)) this.resolve(other, chain);
    }
    if (reference === path) return true;
    return getPath(this.tree, reference.split('.')) !== undefined;
  }

  private fail(path: string, message: string): number {
    if (!this.issues.some((issue) => issue.path === path)) this.issues.push({ path, message });
    return Number.NaN;
  }
}

function collectExpressions(tree: unknown, path: readonly string[], out: Map<string, string>): void {
  if (typeof tree === 'string' && tree.trimStart().startsWith(EXPRESSION_PREFIX)) out.set(path.join('.'), tree);
  else if (isMapping(tree)) for (const [key, value] of Object.entries(tree)) collectExpressions(value, [...path, key], out);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a path of the tree's own keys (never one an object inherits, such as `constructor`). */
function getPath(tree: unknown, keys: readonly string[]): unknown {
  let current = tree;
  for (const key of keys) {
    if (!isMapping(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

function setPath(tree: unknown, keys: readonly string[], value: unknown): void {
  let current = tree;
  for (const key of keys.slice(0, -1)) current = (current as Record<string, unknown>)[key];
  (current as Record<string, unknown>)[keys[keys.length - 1] ?? ''] = value;
}
