// The live one-line status: redrawn in place on a terminal, printed as plain periodic lines otherwise (logs, CI,
// a test reading the output). It goes to stderr, so stdout holds only the summary (and the --json line).

export class StatusLine {
  private readonly tty: boolean;
  private shown = false;
  private lastPlainMs = 0;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    /** Plain mode: at most one line per this many ms. */
    private readonly plainIntervalMs = 2000,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  update(text: string): void {
    if (this.tty) {
      const width = this.out.columns || 120;
      const line = text.length >= width ? `${text.slice(0, width - 2)}…` : text;
      this.out.write(`\r\x1b[K${line}`);
      this.shown = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastPlainMs < this.plainIntervalMs) return;
    this.lastPlainMs = now;
    this.out.write(`${text}\n`);
  }

  /** Prints a message on its own line without garbling the status line. */
  log(message: string): void {
    this.clear();
    this.out.write(`${message}\n`);
  }

  /** Removes the status line (before the summary). */
  clear(): void {
    if (this.tty && this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
