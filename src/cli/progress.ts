import type { CliOutput } from './io.js';

/**
 * A one-line progress report on the CLI's stderr. On a terminal the line is
 * redrawn in place; elsewhere (CI logs, pipes, tests) only the final line is
 * printed.
 */
export class Progress {
  private readonly interactive: boolean;
  private lastWidth = 0;

  constructor(
    private readonly label: string,
    private readonly output: CliOutput,
  ) {
    this.interactive = output.isTTY === true;
  }

  update(done: number, total: number, detail: string): void {
    if (!this.interactive) return;
    const width = 24;
    const filled = Math.round((done / total) * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${detail}`;
    this.output.write(`\r${line.padEnd(this.lastWidth)}`);
    this.lastWidth = line.length;
  }

  finish(summary: string): void {
    if (this.interactive) this.output.write(`\r${' '.repeat(this.lastWidth)}\r`);
    this.output.write(`${this.label}: ${summary}\n`);
  }
}
