/**
 * A one-line progress report on stderr. On a terminal the line is redrawn in
 * place; elsewhere (CI logs, pipes) only the final line is printed.
 */
export class Progress {
  private readonly interactive = process.stderr.isTTY === true;
  private lastWidth = 0;

  constructor(private readonly label: string) {}

  update(done: number, total: number, detail: string): void {
    if (!this.interactive) return;
    const width = 24;
    const filled = Math.round((done / total) * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${detail}`;
    process.stderr.write(`\r${line.padEnd(this.lastWidth)}`);
    this.lastWidth = line.length;
  }

  finish(summary: string): void {
    if (this.interactive) process.stderr.write(`\r${' '.repeat(this.lastWidth)}\r`);
    process.stderr.write(`${this.label}: ${summary}\n`);
  }
}
