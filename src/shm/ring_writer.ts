/**
 * What both typed servers share: create the native ring from checked options, unlink it on close and on every
 * catchable exit, stats. FrameRingServer and DataRingServer add what their payloads need.
 */
import { closeOnExit, forgetOnExit } from './exit_cleanup.js';
import { FrameringError, native } from './framering_error.js';
import { addon, type NativeRingServer } from './native_addon.js';
import { fileMode, MAX_SLOTS, ringName, wholeNumber, type ReadPolicy } from './options.js';

export interface RingServerStats {
  written: number;
  writerDrops: number;
  readers: Array<{ pid: number; policy: ReadPolicy; delivered: number; dropped: number; held: number }>;
}

/** The options every ring takes. */
export interface RingWriterOptions {
  name: string;
  slots?: number;
  /** Lossless: the writer waits (up to blockingTimeoutMs) for `every` readers instead of overwriting. */
  blocking?: boolean;
  blockingTimeoutMs?: number;
  /** File mode of the segment (default 0o600; 0o660 to share with a group). */
  mode?: number;
}

export class RingWriter {
  readonly name: string;
  readonly slots: number;
  /** @internal The native writer, for RingPump. */
  readonly nativeServer: NativeRingServer;
  private closed = false;
  private readonly exitHook = { closeForExit: () => this.close() };

  protected constructor(
    opts: RingWriterOptions,
    defaultSlots: number,
    geometry: { slotBytes: number; width?: number; height?: number; format: 'rgb24' | 'data' },
  ) {
    this.name = ringName(opts.name);
    this.slots = wholeNumber('slots', opts.slots ?? defaultSlots, 2, MAX_SLOTS);
    const blockingTimeoutMs = wholeNumber('blockingTimeoutMs', opts.blockingTimeoutMs ?? 1000, 0, 3_600_000);
    const mode = fileMode(opts.mode);
    this.nativeServer = native(
      () => new addon.RingServer({ ...geometry, name: this.name, slots: this.slots, blocking: !!opts.blocking, blockingTimeoutMs, mode }),
    );
    closeOnExit(this.exitHook);
  }

  stats(): RingServerStats {
    this.checkOpen();
    return this.nativeServer.stats();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops pumps, tells readers the ring is closed, unlinks the segment. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    forgetOnExit(this.exitHook);
    this.nativeServer.close();
  }

  protected checkOpen(): void {
    if (this.closed) throw new FrameringError('CLOSED', `ring '${this.name}' is closed`);
  }
}
