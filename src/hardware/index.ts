/*
 * Board files as files: reading a file and the ones it extends, overriding
 * values by dotted key, evaluating expressions. What a board means is the
 * backends' (src/backends/: the registry, each kind's schema, loadHardware).
 */
export { resolveExpressions, hasExpressions } from './expressions.js';
export { MAX_EXPRESSION_LENGTH, MAX_EXPRESSION_DEPTH } from './expression-language.js';
export { readHardwareTree, withOverrides, UNSAFE_KEYS, type HardwareTree } from './extends.js';
