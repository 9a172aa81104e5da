import type { MathNode } from 'mathjs';

/*
 * What an expression in a hardware file may say, and what it means. mathjs
 * only parses; evaluation is ours, over a whitelist: numbers, references to
 * other keys, arithmetic, comparisons, `a ? b : c` and a few functions and
 * constants. Nothing here can assign, define a function, build a matrix or
 * import, so an expression changes no value but its own, and its cost is
 * linear in its size, which MAX_EXPRESSION_LENGTH and MAX_EXPRESSION_DEPTH
 * bound.
 */

/** Longest expression taken, in characters (after the `=`); the longest shipped one has 75. */
export const MAX_EXPRESSION_LENGTH = 500;
/** Deepest nesting of brackets taken: mathjs's parser recurses per bracket and runs out of stack near 300. */
export const MAX_EXPRESSION_DEPTH = 32;

type NumericFunction = { readonly arity: readonly [number, number]; readonly apply: (...args: number[]) => number };

/** The functions an expression may call, with how many arguments each takes (min, max). As mathjs computes them for numbers. */
const FUNCTIONS: Readonly<Record<string, NumericFunction>> = {
  abs: { arity: [1, 1], apply: Math.abs },
  ceil: { arity: [1, 1], apply: Math.ceil },
  floor: { arity: [1, 1], apply: Math.floor },
  // mathjs rounds halves away from zero.
  round: { arity: [1, 1], apply: (x) => Math.sign(x) * Math.round(Math.abs(x)) },
  sqrt: { arity: [1, 1], apply: Math.sqrt },
  cbrt: { arity: [1, 1], apply: Math.cbrt },
  exp: { arity: [1, 1], apply: Math.exp },
  log: { arity: [1, 2], apply: (x, base) => (base === undefined ? Math.log(x) : Math.log(x) / Math.log(base)) },
  log2: { arity: [1, 1], apply: Math.log2 },
  log10: { arity: [1, 1], apply: Math.log10 },
  min: { arity: [1, 16], apply: Math.min },
  max: { arity: [1, 16], apply: Math.max },
  pow: { arity: [2, 2], apply: (x, y) => x ** y },
  mod: { arity: [2, 2], apply: (x, y) => modulo(x, y) },
};

/** Named constants, where no key of the file has the name. */
const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, PI: Math.PI, e: Math.E, E: Math.E, tau: 2 * Math.PI, phi: (1 + Math.sqrt(5)) / 2, LN2: Math.LN2, LN10: Math.LN10, SQRT2: Math.SQRT2 };

const bool = (value: boolean): number => (value ? 1 : 0);

/** mathjs's operators, by the function name its parser gives them; comparisons and logic give 1 or 0. */
const OPERATORS: Readonly<Record<string, (...args: number[]) => number>> = {
  add: (x, y) => x + y!,
  subtract: (x, y) => x - y!,
  multiply: (x, y) => x * y!,
  divide: (x, y) => x / y!,
  pow: (x, y) => x ** y!,
  mod: (x, y) => modulo(x, y!),
  unaryMinus: (x) => -x,
  unaryPlus: (x) => x,
  smaller: (x, y) => bool(x < y!),
  larger: (x, y) => bool(x > y!),
  smallerEq: (x, y) => bool(x <= y!),
  largerEq: (x, y) => bool(x >= y!),
  equal: (x, y) => bool(x === y),
  unequal: (x, y) => bool(x !== y),
  and: (x, y) => bool(x !== 0 && y !== 0),
  or: (x, y) => bool(x !== 0 || y !== 0),
  not: (x) => bool(x === 0),
};

/** mathjs's modulo: the sign of the divisor; x itself for a divisor of 0. */
function modulo(x: number, y: number): number {
  return y === 0 ? x : x - y * Math.floor(x / y);
}

/** What expressions may use, for error messages. */
export const EXPRESSION_SYNTAX = `numbers, other keys, + - * / ^ mod, comparisons, and or not, a ? b : c, the constants pi and e, and the functions ${Object.keys(FUNCTIONS).join(', ')}`;

/** The nesting of brackets in a source, deepest first reached; checked before mathjs parses it. */
export function bracketDepth(source: string): number {
  let depth = 0;
  let deepest = 0;
  for (const char of source) {
    if (char === '(' || char === '[' || char === '{') deepest = Math.max(deepest, ++depth);
    else if (char === ')' || char === ']' || char === '}') depth--;
  }
  return deepest;
}

// mathjs's node classes, as far as this module reads them.
type Node = MathNode & { readonly type: string };
const field = <T>(node: Node, name: string): T => (node as unknown as Record<string, T>)[name]!;

/** Names what a node is when the whitelist refuses it; undefined when every node below is allowed. */
export function refusedConstruct(node: Node): string | undefined {
  switch (node.type) {
    case 'ConstantNode':
      return typeof field(node, 'value') === 'number' ? undefined : `the constant ${JSON.stringify(field(node, 'value'))} (only numbers)`;
    case 'SymbolNode':
      return undefined;
    case 'AccessorNode':
      return accessorPath(node) === undefined ? 'an index that is not a key name' : undefined;
    case 'ParenthesisNode':
      return refusedConstruct(field(node, 'content'));
    case 'ConditionalNode':
      return firstRefused([field(node, 'condition'), field(node, 'trueExpr'), field(node, 'falseExpr')]);
    case 'OperatorNode':
      if (!Object.hasOwn(OPERATORS, field<string>(node, 'fn'))) return `the operator ${field<string>(node, 'op')}`;
      return firstRefused(field<Node[]>(node, 'args'));
    case 'FunctionNode':
      return refusedCall(node);
    default:
      return DESCRIPTIONS[node.type] ?? `a ${node.type}`;
  }
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  AssignmentNode: 'an assignment',
  FunctionAssignmentNode: 'a function definition',
  ArrayNode: 'a matrix or list',
  ObjectNode: 'an object',
  BlockNode: 'several statements',
  RangeNode: 'a range',
  IndexNode: 'an index',
  RelationalNode: 'a chained comparison',
};

function firstRefused(nodes: readonly Node[]): string | undefined {
  for (const child of nodes) {
    const refused = refusedConstruct(child);
    if (refused !== undefined) return refused;
  }
  return undefined;
}

function refusedCall(node: Node): string | undefined {
  const callee = field<Node>(node, 'fn');
  const name = callee.type === 'SymbolNode' ? field<string>(callee, 'name') : undefined;
  if (name === undefined || !Object.hasOwn(FUNCTIONS, name)) return `the function ${name ?? '(computed)'}`;
  const args = field<Node[]>(node, 'args');
  const [min, max] = FUNCTIONS[name]!.arity;
  if (args.length < min || args.length > max) return `${name} with ${args.length} arguments (it takes ${min === max ? min : `${min} to ${max}`})`;
  return firstRefused(args);
}

/** Dotted paths an allowed expression reads, e.g. `buffers.a.depthWords`; constants' names included. */
export function referencedPaths(node: Node): string[] {
  const paths = new Set<string>();
  const visit = (child: Node): void => {
    if (child.type === 'SymbolNode') paths.add(field(child, 'name'));
    else if (child.type === 'AccessorNode') paths.add(accessorPath(child)!);
    else if (child.type === 'FunctionNode') field<Node[]>(child, 'args').forEach(visit);
    else if (child.type === 'ParenthesisNode') visit(field(child, 'content'));
    else if (child.type === 'OperatorNode') field<Node[]>(child, 'args').forEach(visit);
    else if (child.type === 'ConditionalNode') [field<Node>(child, 'condition'), field<Node>(child, 'trueExpr'), field<Node>(child, 'falseExpr')].forEach(visit);
  };
  visit(node);
  return [...paths];
}

/** `a.b.c` of an accessor chain whose indices are key names or numbers; undefined otherwise. */
function accessorPath(node: Node): string | undefined {
  const parts: string[] = [];
  let current: Node = node;
  while (current.type === 'AccessorNode') {
    const dimensions = field<{ dimensions: Node[] }>(current, 'index').dimensions;
    const key = dimensions.length === 1 && dimensions[0]!.type === 'ConstantNode' ? field<unknown>(dimensions[0]!, 'value') : undefined;
    if (typeof key !== 'string' && typeof key !== 'number') return undefined;
    parts.unshift(String(key));
    current = field(current, 'object');
  }
  if (current.type !== 'SymbolNode') return undefined;
  parts.unshift(field(current, 'name'));
  return parts.join('.');
}

/** A constant's value, if the name is one. */
export function constantNamed(name: string): number | undefined {
  return Object.hasOwn(CONSTANTS, name) ? CONSTANTS[name] : undefined;
}

/** Evaluates an allowed expression; `read` gives the number at a dotted path (a key, else a constant). */
export function evaluateNode(node: Node, read: (path: string) => number): number {
  switch (node.type) {
    case 'ConstantNode':
      return field<number>(node, 'value');
    case 'SymbolNode':
      return read(field(node, 'name'));
    case 'AccessorNode':
      return read(accessorPath(node)!);
    case 'ParenthesisNode':
      return evaluateNode(field(node, 'content'), read);
    case 'ConditionalNode':
      return evaluateNode(field(node, evaluateNode(field(node, 'condition'), read) !== 0 ? 'trueExpr' : 'falseExpr'), read);
    case 'OperatorNode':
      return OPERATORS[field<string>(node, 'fn')]!(...field<Node[]>(node, 'args').map((arg) => evaluateNode(arg, read)));
    case 'FunctionNode':
      return FUNCTIONS[field<string>(field<Node>(node, 'fn'), 'name')]!.apply(...field<Node[]>(node, 'args').map((arg) => evaluateNode(arg, read)));
    default:
      throw new Error(`internal: ${node.type} passed the expression whitelist`);
  }
}
