/** One output of the CLI: the process's stdout or stderr, or a buffer in a test or notebook. */
export interface CliOutput {
  write(text: string): unknown;
  /** A terminal: the progress bar redraws in place, help wraps at `columns`. */
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/**
 * Everything the CLI reads and writes beside its arguments and files, so
 * that it runs in any process: `main.ts` passes the process's own streams and
 * environment, tests pass buffers.
 */
export interface CliIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  /** Environment variables; the CLI reads those that place its parse cache (FPGA_LLM_SIM_CACHE, XDG_CACHE_HOME). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Calls `stop` once when the process is asked to stop (SIGINT, SIGTERM), for
   * commands that run until stopped (`worker`) and finish their work first;
   * other commands leave the signals' default. Absent in tests and notebooks.
   */
  readonly onStop?: ((stop: () => void) => void) | undefined;
}

/** Exit codes: 0 when every requested result was produced, 2 for anything the user can fix, 1 for our own failures and for results not produced (a sweep's failed points without --allow-failures). */
export const EXIT_OK = 0;
export const EXIT_INTERNAL_ERROR = 1;
export const EXIT_INCOMPLETE = 1;
export const EXIT_USER_ERROR = 2;
