// Records everything a LiveStream says (states, faults, log lines), to check what happened and that no secret leaked.
import type { LiveStream, StreamState } from '../../src/stream/index.js';
import type { StreamError } from '../../src/stream/stream_error.js';

export class StreamRecorder {
  readonly states: StreamState[] = [];
  readonly faults: StreamError[] = [];
  readonly logs: string[] = [];

  constructor(private readonly stream: LiveStream) {
    stream.on('state', (s: StreamState) => this.states.push(s));
    stream.on('fault', (e: StreamError) => this.faults.push(e));
    stream.on('log', (l: string) => this.logs.push(l));
  }

  /** Every text the stream exposed: events, faults with their stderr tails, stats, the stderr tail. */
  everythingSaid(): string {
    return JSON.stringify({
      states: this.states,
      faults: this.faults.map((f) => ({ code: f.code, message: f.message, stack: f.stack, tail: f.stderrTail })),
      logs: this.logs,
      stats: this.stream.stats(),
      tail: this.stream.stderrTail(),
    });
  }

  /** Resolves once `predicate` holds, checking every 100 ms. */
  async until(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; said so far: ${this.everythingSaid()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
