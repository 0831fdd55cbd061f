/**
 * The reading machinery both typed clients share: attach, deliver slots one at a time from the native waiter thread
 * to a handler (sync or async), release, pull, notice the writer going away.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeOnExit, forgetOnExit } from './exit_cleanup.js';
import { FrameringError, native } from './framering_error.js';
import { onPullInterrupted, watchTerminationSignals } from './exit_cleanup.js';
import { addon, type NativeLayout, type NativeRingClient } from './native_addon.js';
import { readPolicy, ringName, type ReadPolicy } from './options.js';
import type { SlotMeta } from './slot_meta.js';

const SYNC_BURST = 8;

/** A slot this reader took and holds until it releases `index`. */
export interface TakenSlot {
  index: number;
  meta: SlotMeta;
  /** Frames this reader missed just before this one. */
  droppedBefore: number;
}

export interface OpenOptions {
  policy?: ReadPolicy;
  /**
   * Open a ring that belongs to another user (outside our group) or that every user may write. Off by default: such
   * a ring could carry frames another local user planted (RING_UNTRUSTED).
   */
  allowForeign?: boolean;
  /**
   * How a sleeping handler is woken. 'doorbell' (default): the writer wakes this process's event loop directly
   * through a per-reader socket, one hop, and only while the reader sleeps. 'thread': a native waiter thread waits
   * on the ring's futex and hands frames to the event loop. A doorbell the writer cannot reach (another network
   * namespace) falls back to the thread by itself.
   */
  wakeup?: 'doorbell' | 'thread';
}

/** How often a delivering reader checks that its writer lives (and that its doorbell is reachable). */
const LIVENESS_CHECK_MS = 250;

export interface WaitOptions extends OpenOptions {
  /** How long to wait for the ring to appear, in ms (default 10 000). */
  timeoutMs?: number;
}

export class RingReader extends EventEmitter {
  readonly name: string;
  readonly policy: ReadPolicy;
  readonly layout: NativeLayout;
  private readonly client: NativeRingClient;
  private readonly slotViews: Uint8Array[];
  private readonly meta: Float64Array;
  private delivering = false;
  private livenessTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private goneError: FrameringError | null = null;
  private readonly exitHook = { closeForExit: () => this.close() };

  constructor(name: string, policy: ReadPolicy, opts?: OpenOptions) {
    super();
    this.name = ringName(name);
    this.policy = policy;
    const allowForeign = !!opts?.allowForeign;
    const wakeup = opts?.wakeup;
    this.client = native(() => new addon.RingClient({ name: this.name, policy, allowForeign, wakeup }));
    try {
      this.layout = this.client.layout();
      this.meta = this.client.metaArray();
      const buffer = this.client.buffer();
      // One view per slot, made once: delivering a frame allocates no backing store.
      this.slotViews = Array.from(
        { length: this.layout.slotCount },
        (_, i) => new Uint8Array(buffer, i * this.layout.slotStride, this.layout.slotBytes),
      );
    } catch (err) {
      this.client.close(); // leave no reader entry behind in the ring
      throw err instanceof FrameringError ? err : new FrameringError('RING_INVALID', `ring '${this.name}' cannot be read: ${(err as Error).message}`);
    }
    closeOnExit(this.exitHook);
  }

  static async openWhenReady<T>(open: () => T, name: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return open();
      } catch (err) {
        const notYet = err instanceof FrameringError && err.code === 'RING_NOT_FOUND';
        if (!notYet) throw err;
        if (Date.now() >= deadline)
          throw new FrameringError('TIMEOUT', `ring '${name}' did not appear within ${timeoutMs} ms; is its server running?`);
      }
      await sleep(25);
    }
  }

  static policyOf(opts: OpenOptions | undefined, fallback: ReadPolicy): ReadPolicy {
    return readPolicy(opts?.policy, fallback);
  }

  /** The slot's bytes in use, as a zero-copy view. */
  view(slot: TakenSlot): Uint8Array {
    const whole = this.slotViews[slot.index];
    const bytes = slot.meta.bytes;
    return bytes === whole.byteLength ? whole : whole.subarray(0, bytes);
  }

  /** The meta of the frame just taken, read from the array the native side wrote it into. */
  private slotAt(index: number): TakenSlot {
    const m = this.meta;
    const meta: SlotMeta = { seq: m[0], bytes: m[1], timestampUs: m[2], frameNumber: m[3], width: m[4], height: m[5], slotId: m[6] };
    return { index, meta, droppedBefore: m[7] };
  }

  release(index: number): void {
    if (!this.closed) this.client.release(index);
  }

  /** Starts delivery: `deliver` gets each slot and returns when (or a promise of when) it is done with it. */
  deliver(deliver: (slot: TakenSlot) => void | Promise<void>): void {
    this.checkOpen();
    if (this.delivering) throw new FrameringError('INVALID_ARGUMENT', `ring '${this.name}' already has a handler`);
    this.delivering = true;
    let deliveredThisPeriod = false; // since the last liveness look (below)
    // Runs one delivery; true when it finished synchronously.
    const runOne = (index: number): boolean => {
      deliveredThisPeriod = true;
      let result: void | Promise<void>;
      try {
        result = deliver(this.slotAt(index));
      } catch (err) {
        this.reportHandlerError(err);
        return true;
      }
      if (result && typeof (result as Promise<void>).then === 'function') {
        (result as Promise<void>).then(drain, (err) => {
          this.reportHandlerError(err);
          drain();
        });
        return false;
      }
      return true;
    };
    // Takes frames that are already waiting right here; when none is, the native waiter thread takes over again.
    // At most SYNC_BURST in a row, so a fast writer cannot keep timers and control messages from running.
    const drain = (): void => {
      for (let burst = 0; ; burst++) {
        if (this.closed) return;
        const index = this.client.next(burst < SYNC_BURST);
        if (index < 0 || !runOne(index)) return;
      }
    };
    // The writer's death, and a doorbell the writer cannot reach, are seen here (a closed ring rings at once). A period
    // in which frames arrived needs no look: the writer was alive and reached us, and the period after the last frame
    // looks. That spares a busy reader its lock probes (a master with 8 clients made ~30 a second for nothing).
    this.livenessTimer = setInterval(() => {
      if (deliveredThisPeriod) {
        deliveredThisPeriod = false;
        return;
      }
      const gone = this.closed ? null : this.client.writerStatus();
      if (gone) this.markGone(`ring '${this.name}': ${gone}`);
    }, LIVENESS_CHECK_MS).unref();
    this.client.start((index, goneReason) => {
      if (index < 0) {
        this.markGone(goneReason ?? `ring '${this.name}': writer gone`);
        return;
      }
      if (runOne(index)) drain();
    });
  }

  pullSlot(timeoutMs: number): TakenSlot | null {
    this.checkOpen();
    // A termination signal ends the wait (INTERRUPTED), so that Node can run its handler.
    watchTerminationSignals();
    try {
      const index = native(() => this.client.pull(timeoutMs));
      return index < 0 ? null : this.slotAt(index);
    } catch (err) {
      if (err instanceof FrameringError && err.code === 'WRITER_GONE') this.markGone(err.message);
      if (err instanceof FrameringError && err.code === 'INTERRUPTED') onPullInterrupted();
      throw err;
    }
  }

  stats(): { delivered: number; dropped: number; held: number; written: number } {
    this.checkOpen();
    return this.client.stats();
  }

  /** Why the writer is gone, or null while it lives. */
  writerGone(): string | null {
    return this.closed ? null : this.client.writerStatus();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** How frames reach the handler now: 'doorbell' or 'thread' (null before a handler is set). */
  get wakeup(): 'doorbell' | 'thread' | null {
    return this.delivering && !this.closed ? this.client.wakeup() : null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    forgetOnExit(this.exitHook);
    this.client.close();
  }

  private markGone(reason: string): void {
    if (this.goneError) return;
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.goneError = new FrameringError('WRITER_GONE', reason);
    this.emit('gone', this.goneError);
  }

  private reportHandlerError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else console.error(`framering: the handler of ring '${this.name}' failed:`, err);
  }

  private checkOpen(): void {
    if (this.closed) throw new FrameringError('CLOSED', `reader of ring '${this.name}' is closed`);
  }
}
