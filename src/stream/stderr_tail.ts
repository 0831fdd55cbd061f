// The last lines ffmpeg wrote to stderr, redacted, for error reports. Bounded in lines and line length so a
// chatty or broken ffmpeg cannot grow memory.
import type { Redactor } from './redact.js';

const MAX_LINE_CHARS = 1000;
// Raw characters kept of an unfinished line: more than is shown, so what is shown was redacted with context.
const MAX_RAW_CHARS = MAX_LINE_CHARS * 4;

export class StderrTail {
  // Real private fields: the unfinished line is raw (not yet redacted), and util.inspect must not show it.
  readonly #lines: string[] = [];
  #partial = '';
  /** Characters of the unfinished line dropped past MAX_RAW_CHARS (0: not cut). */
  #droppedChars = 0;
  readonly #maxLines: number;
  readonly #redactor: Redactor;
  readonly #onLine: (line: string) => void;

  constructor(maxLines: number, redactor: Redactor, onLine: (line: string) => void = () => {}) {
    this.#maxLines = maxLines;
    this.#redactor = redactor;
    this.#onLine = onLine;
  }

  /** Feed a chunk of stderr text; complete lines are redacted, kept, and passed to onLine. */
  push(chunk: string): void {
    let text = chunk;
    if (this.#droppedChars > 0) {
      // The unfinished line is already as long as we keep: drop the rest of it, up to its end.
      const eol = text.search(/[\r\n]/);
      if (eol < 0) {
        this.#droppedChars += text.length;
        return;
      }
      this.#droppedChars += eol;
      this.flush();
      text = text.slice(eol);
    }
    const parts = (this.#partial + text).split(/\r\n|\r|\n/);
    this.#partial = parts.pop() ?? '';
    for (const part of parts) this.#add(part, 0);
    if (this.#partial.length > MAX_RAW_CHARS) {
      // Keep the head raw (it is what gets shown), and redact it only once the line is over: a secret at the cut
      // is masked by redactCut, a secret before it is matched whole.
      this.#droppedChars = this.#partial.length - MAX_RAW_CHARS;
      this.#partial = this.#partial.slice(0, MAX_RAW_CHARS);
    }
  }

  /** End of the stream: keep a trailing line without newline. */
  flush(): void {
    if (this.#partial) this.#add(this.#partial, this.#droppedChars);
    this.#partial = '';
    this.#droppedChars = 0;
  }

  /** The kept lines, oldest first. */
  snapshot(): string[] {
    return [...this.#lines];
  }

  /** The most recent line, or '' if none. */
  last(): string {
    return this.#lines[this.#lines.length - 1] ?? '';
  }

  clear(): void {
    this.#lines.length = 0;
    this.#partial = '';
    this.#droppedChars = 0;
  }

  /** `droppedChars`: how much of the raw line was cut off its end before it got here. */
  #add(raw: string, droppedChars: number): void {
    if (!raw.trim()) return;
    // Redact before cutting: a cut through a secret would leave halves that no longer match it.
    let line = droppedChars > 0 ? this.#redactor.redactCut(raw) : this.#redactor.redact(raw.trimEnd());
    const more = Math.max(0, line.length - MAX_LINE_CHARS) + droppedChars;
    if (more > 0) line = `${line.slice(0, MAX_LINE_CHARS)}… (${more} more chars)`;
    this.#lines.push(line);
    if (this.#lines.length > this.#maxLines) this.#lines.shift();
    this.#onLine(line);
  }
}
