/** The writer of a data ring: structured-clone serialised JS values (typed arrays included) up to maxMessageBytes. */
import { serialize } from 'node:v8';
import { closeOnExit, forgetOnExit } from './exit_cleanup.js';
import { FrameringError, native } from './framering_error.js';
import { addon, type NativeRingServer } from './native_addon.js';
import { fileMode, MAX_SLOTS, ringName, wholeNumber } from './options.js';

export interface DataRingPars {
  name: string;
  slots: number;
  maxMessageBytes: number;
}

export interface DataRingServerOptions {
  name: string;
  /** Messages the ring holds (default 16). */
  slots?: number;
  /** Largest serialised message (default 1 MiB). A larger one is an error, never truncated. */
  maxMessageBytes?: number;
  blocking?: boolean;
  blockingTimeoutMs?: number;
  mode?: number;
}

export class DataRingServer {
  readonly name: string;
  readonly slots: number;
  readonly maxMessageBytes: number;
  private readonly server: NativeRingServer;
  private closed = false;
  private readonly exitHook = { closeForExit: () => this.close() };

  constructor(opts: DataRingServerOptions) {
    if (!opts || typeof opts !== 'object') throw new FrameringError('INVALID_ARGUMENT', 'DataRingServer needs { name }');
    this.name = ringName(opts.name);
    this.slots = wholeNumber('slots', opts.slots ?? 16, 2, MAX_SLOTS);
    this.maxMessageBytes = wholeNumber('maxMessageBytes', opts.maxMessageBytes ?? 1 << 20, 1, 1 << 30);
    const blockingTimeoutMs = wholeNumber('blockingTimeoutMs', opts.blockingTimeoutMs ?? 1000, 0, 3_600_000);
    const mode = fileMode(opts.mode);
    this.server = native(
      () =>
        new addon.RingServer({
          name: this.name,
          slots: this.slots,
          slotBytes: this.maxMessageBytes,
          format: 'data',
          blocking: !!opts.blocking,
          blockingTimeoutMs,
          mode,
        }),
    );
    closeOnExit(this.exitHook);
  }

  pars(): DataRingPars {
    return { name: this.name, slots: this.slots, maxMessageBytes: this.maxMessageBytes };
  }

  /** Sends a value to every reader. Returns its seq, or null when no slot was free (counted in stats). */
  send(value: unknown, meta?: { slotId?: number }): number | null {
    if (this.closed) throw new FrameringError('CLOSED', `data ring '${this.name}' is closed`);
    let bytes: Buffer;
    try {
      bytes = serialize(value);
    } catch (err) {
      throw new FrameringError('INVALID_ARGUMENT', `cannot send this value through data ring '${this.name}': ${(err as Error).message}`);
    }
    if (bytes.byteLength > this.maxMessageBytes)
      throw new FrameringError(
        'MESSAGE_TOO_LARGE',
        `message of ${bytes.byteLength} bytes (serialised) exceeds data ring '${this.name}' maximum of ${this.maxMessageBytes} bytes; ` +
          'nothing was sent (create the ring with a larger maxMessageBytes, or send less)',
      );
    const seq = native(() => this.server.write(bytes, meta));
    return seq < 0 ? null : seq;
  }

  stats(): ReturnType<NativeRingServer['stats']> {
    if (this.closed) throw new FrameringError('CLOSED', `data ring '${this.name}' is closed`);
    return this.server.stats();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    forgetOnExit(this.exitHook);
    this.server.close();
  }
}
