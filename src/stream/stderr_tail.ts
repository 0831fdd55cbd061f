// The last lines ffmpeg wrote to stderr, redacted, for error reports. Bounded in lines and line length so a
// chatty or broken ffmpeg cannot grow memory.
import type { Redactor } from './redact.js';

const MAX_LINE_CHARS = 1000;

export class StderrTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(
    private readonly maxLines: number,
    private readonly redactor: Redactor,
    private readonly onLine: (line: string) => void = () => {},
  ) {}

  /** Feed a chunk of stderr text; complete lines are redacted, kept, and passed to onLine. */
  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    if (this.partial.length > MAX_LINE_CHARS * 4) this.partial = this.partial.slice(-MAX_LINE_CHARS * 4);
    for (const part of parts) this.add(part);
  }

  /** End of the stream: keep a trailing line without newline. */
  flush(): void {
    if (this.partial) this.add(this.partial);
    this.partial = '';
  }

  /** The kept lines, oldest first. */
  snapshot(): string[] {
    return [...this.lines];
  }

  /** The most recent line, or '' if none. */
  last(): string {
    return this.lines[this.lines.length - 1] ?? '';
  }

  clear(): void {
    this.lines.length = 0;
    this.partial = '';
  }

  private add(raw: string): void {
    const trimmed = raw.trimEnd();
    if (!trimmed) return;
    // Redact before truncating, so a cut can never leave half a secret visible.
    let line = this.redactor.redact(trimmed);
    if (line.length > MAX_LINE_CHARS) line = `${line.slice(0, MAX_LINE_CHARS)}… (${line.length - MAX_LINE_CHARS} more chars)`;
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.shift();
    this.onLine(line);
  }
}
