/**
 * Errors the user can fix. Each carries the file it is about and a list of
 * issues (a field path and what was expected there), so checkers can collect
 * every problem first and the loader can throw once with all of them.
 */

/** One problem found in an input: where it is and what was expected. */
export interface Issue {
  /** Dotted path to the field, e.g. `buffers.a.depthWords` or `[12].input[0].shape`. */
  readonly path: string;
  readonly message: string;
}

/** Base class of every error caused by input the user controls (files, options). */
export class UserError extends Error {
  override name = 'UserError';
  /** The file the error is about, when there is one. */
  readonly file: string | undefined;
  readonly issues: readonly Issue[];

  constructor(options: { what: string; file?: string; issues?: readonly Issue[]; detail?: string }) {
    super(formatMessage(options));
    this.file = options.file;
    this.issues = options.issues ?? [];
  }
}

/** A hardware configuration that is malformed or inconsistent. */
export class ConfigError extends UserError {
  override name = 'ConfigError';
}

/** An IR file (or in-memory IR) that is malformed or breaks a layer's rules. */
export class IrError extends UserError {
  override name = 'IrError';
}

/** A model description that is malformed or describes an impossible model. */
export class ModelError extends UserError {
  override name = 'ModelError';
}

/** A missing or malformed attention-mask file. */
export class MaskError extends UserError {
  override name = 'MaskError';
}

/** A design that does not fit its FPGA device: a resource, the clock or the memory exceeds the data sheet's figure. */
export class DeviceFitError extends UserError {
  override name = 'DeviceFitError';
}

/** A bad command-line invocation. */
export class UsageError extends UserError {
  override name = 'UsageError';
}

/** An output that cannot be written: a path that is a directory, a parent that is a file, no permission, no space. */
export class OutputError extends UserError {
  override name = 'OutputError';
}

/**
 * The instruction stream cannot run to completion: a module waits for a token
 * that is never released, or tokens are released that nobody consumes.
 */
export class SimulationError extends UserError {
  override name = 'SimulationError';
}

const MAX_LISTED_ISSUES = 12;

function formatMessage(options: { what: string; file?: string; issues?: readonly Issue[]; detail?: string }): string {
  const where = options.file === undefined ? '' : `${options.file}: `;
  const issues = options.issues ?? [];
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`));
  if (issues.length > MAX_LISTED_ISSUES) listed.push(`and ${issues.length - MAX_LISTED_ISSUES} more`);
  const body = [options.detail, listed.join('; ')].filter((part) => part !== undefined && part !== '').join(' ');
  return body === '' ? `${where}${options.what}` : `${where}${options.what}: ${body}`;
}
