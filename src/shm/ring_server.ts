/**
 * What both typed servers share: create the native ring from checked options, unlink it on close and on every
 * catchable exit, stats. FrameRingServer and DataRingServer add what their payloads need. (Called RingWriter before
 * the names agreed with the C++ side: a ring has one server, which writes, and clients, which read.)
 */
import { abortedError } from './aborted.js';
import { closeOnExit, forgetOnExit } from './exit_cleanup.js';
import { RingError, native } from './ring_error.js';
import { addon, type NativeRingServer } from './native_addon.js';
import type { PayloadFormat } from './pixel_format.js';
import { onSharedTick } from './shared_tick.js';
import { fileMode, MAX_SLOTS, ringName, wholeNumber, type ReadPolicy } from './options.js';

/**
 * How often a server frees the entries of readers that died while it writes nothing (a server that writes reclaims in
 * the native lend as well); one timer per process for all servers (shared_tick.ts).
 */
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
export interface RingServerOptions {
  name: string;
  slots?: number;
  /** Lossless: the writer waits (up to blockingTimeoutMs) for `every` readers instead of overwriting. */
  blocking?: boolean;
  blockingTimeoutMs?: number;
  /** File mode of the segment (default 0o600; 0o660 to share with a group). */
  mode?: number;
}

/** The native server of each ring, for RingPump and tests (through internal.ts), off the public surface. */
const nativeServers = new WeakMap<RingServer, NativeRingServer>();

/** The native server behind a ring (internal.ts): what RingPump hands to its thread. */
export function nativeServerOf(server: RingServer): NativeRingServer {
  const found = nativeServers.get(server);
  if (!found) throw new RingError('INVALID_ARGUMENT', 'not a ring server made by framering');
  return found;
}

export class RingServer implements Disposable {
  readonly name: string;
  readonly slots: number;
  /** The native server; subclasses write through it. */
  protected readonly nativeServer: NativeRingServer;
  readonly blocking: boolean;
  readonly blockingTimeoutMs: number;
  private closed = false;
  private readonly exitHook = { closeForExit: () => this.close() };
  private readonly stopReclaiming: () => void;

  protected constructor(
    opts: RingServerOptions,
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
      () =>
        new addon.RingServer({
          ...geometry,
          name: this.name,
          slots: this.slots,
          blocking: !!opts.blocking,
          blockingTimeoutMs,
          mode,
        }),
    );
    nativeServers.set(this, this.nativeServer);
    closeOnExit(this.exitHook);
    // Readers that died free their entries and slots even while nothing is written (write() and lend() do it too).
    this.stopReclaiming = onSharedTick(RECLAIM_EVERY_MS, () => this.nativeServer.reclaimDeadReaders());
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
    this.stopReclaiming();
    this.nativeServer.close();
  }

  /** close(), for `using ring = new FrameRingServer(…)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Copies bytes into a slot and commits them, waiting for readers of a blocking ring up to blockingTimeoutMs without
   * holding the event loop: the synchronous write() waits at most 100 ms. Resolves the seq, or null when no slot
   * freed up in time (counted as a drop). `bytes` must stay unchanged until it resolves.
   */
  protected async writeBytesAsync(
    bytes: Uint8Array,
    meta: object | undefined,
    opts: AsyncWriteOptions = {},
  ): Promise<number | null> {
    const { signal } = opts;
    const deadline = Date.now() + this.blockingTimeoutMs;
    for (let delay = 1; ; delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
      this.checkOpen();
      if (signal?.aborted) throw abortedError(`writing to ring '${this.name}'`);
      const last = !this.blocking || Date.now() >= deadline;
      // A try that waits 0 ms counts no drop; the last one counts it when it fails.
      const seq = native(() => this.nativeServer.write(bytes, meta, last ? 1 : 0));
      if (seq >= 0) return seq;
      if (last) return null;
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(1, deadline - Date.now()))));
    }
  }

  protected checkOpen(): void {
    if (this.closed) throw new RingError('CLOSED', `ring '${this.name}' is closed`);
  }
}

/** @deprecated Renamed RingServer (one word per role: server/client, as in the native code). */
export const RingWriter = RingServer;
/** @deprecated Renamed RingServer. */
export type RingWriter = RingServer;
/** @deprecated Renamed RingServerOptions. */
export type RingWriterOptions = RingServerOptions;
