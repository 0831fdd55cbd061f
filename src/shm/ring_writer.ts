/**
 * What both typed servers share: create the native ring from checked options, unlink it on close and on every
 * catchable exit, stats. FrameRingServer and DataRingServer add what their payloads need.
 */
import { closeOnExit, forgetOnExit } from './exit_cleanup.js';
import { FrameringError, native } from './framering_error.js';
import { addon, type NativeRingServer } from './native_addon.js';
import type { PayloadFormat } from './pixel_format.js';
import { fileMode, MAX_SLOTS, ringName, wholeNumber, type ReadPolicy } from './options.js';

/** How often a writer frees the table entries of readers that died, also while it writes nothing. */
const RECLAIM_EVERY_MS = 1000;
/** writeAsync() on a blocking ring retries from timers, backing off up to this. */
const MAX_RETRY_DELAY_MS = 16;

/** Options of the calls that wait for readers of a blocking ring. */
export interface AsyncWriteOptions {
  signal?: AbortSignal;
}

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
  readonly blocking: boolean;
  readonly blockingTimeoutMs: number;
  private closed = false;
  private readonly exitHook = { closeForExit: () => this.close() };
  private readonly reclaimTimer: NodeJS.Timeout;

  protected constructor(
    opts: RingWriterOptions,
    defaultSlots: number,
    geometry: { slotBytes: number; width?: number; height?: number; format: PayloadFormat },
  ) {
    this.name = ringName(opts.name);
    this.slots = wholeNumber('slots', opts.slots ?? defaultSlots, 2, MAX_SLOTS);
    const blockingTimeoutMs = wholeNumber('blockingTimeoutMs', opts.blockingTimeoutMs ?? 1000, 0, 3_600_000);
    this.blocking = !!opts.blocking;
    this.blockingTimeoutMs = blockingTimeoutMs;
    const mode = fileMode(opts.mode);
    this.nativeServer = native(
      () => new addon.RingServer({ ...geometry, name: this.name, slots: this.slots, blocking: !!opts.blocking, blockingTimeoutMs, mode }),
    );
    closeOnExit(this.exitHook);
    // Readers that died free their entries and slots even while nothing is written (write() and lend() do it too).
    this.reclaimTimer = setInterval(() => this.nativeServer.reclaimDeadReaders(), RECLAIM_EVERY_MS).unref();
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
    clearInterval(this.reclaimTimer);
    this.nativeServer.close();
  }

  /**
   * Copies bytes into a slot and commits them, waiting for readers of a blocking ring up to blockingTimeoutMs without
   * holding the event loop: the synchronous write() waits at most 100 ms. Resolves the seq, or null when no slot
   * freed up in time (counted as a drop). `bytes` must stay unchanged until it resolves.
   */
  protected async writeBytesAsync(bytes: Uint8Array, meta: object | undefined, opts: AsyncWriteOptions = {}): Promise<number | null> {
    const { signal } = opts;
    const deadline = Date.now() + this.blockingTimeoutMs;
    for (let delay = 1; ; delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
      this.checkOpen();
      signal?.throwIfAborted();
      const last = !this.blocking || Date.now() >= deadline;
      // A try that waits 0 ms counts no drop; the last one counts it when it fails.
      const seq = native(() => this.nativeServer.write(bytes, meta, last ? 1 : 0));
      if (seq >= 0) return seq;
      if (last) return null;
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(1, deadline - Date.now()))));
    }
  }

  protected checkOpen(): void {
    if (this.closed) throw new FrameringError('CLOSED', `ring '${this.name}' is closed`);
  }
}
