/**
 * The reading machinery both typed clients share: attach, deliver slots one at a time (doorbell or native waiter
 * thread) to a handler or to async loops, release, pull, notice the writer going away. (Called RingReader before the
 * names agreed with the C++ RingClient.)
 */
import { EventEmitter } from 'node:events';
import { closeOnExit, forgetOnExit } from './exit_cleanup.js';
import { abortedError } from './aborted.js';
import { onAbort } from './abort_listeners.js';
import { AsyncSlots } from './async_slots.js';
import { RingError, native } from './ring_error.js';
import { onPullInterrupted, watchTerminationSignals } from './exit_cleanup.js';
import { addon, type NativeLayout, type NativeRingClient, type RingClientStats } from './native_addon.js';
import { pullTimeout, readPolicy, ringName, type ReadPolicy } from './options.js';
import { formatOfTag } from './pixel_format.js';
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

export interface WaitOptions extends OpenOptions {
  /** How long to wait for the ring to appear, in ms (default 10 000). */
  timeoutMs?: number;
  /** Ends the wait at once with an ABORTED error. */
  signal?: AbortSignal;
}

/** Options of pullAsync(). */
export interface PullOptions {
  /** Ends the wait at once with an ABORTED error. */
  signal?: AbortSignal;
  /**
   * Resolve null when nothing came within this many ms (default: wait until a frame, the signal or the writer's end).
   */
  timeoutMs?: number;
}

/** Options of the frames() and messages() loops. */
export interface IterateOptions {
  /** Ends the loop (the pending step throws ABORTED), releasing what it held. */
  signal?: AbortSignal;
}

/** The end of the native WriterGone message when the writer closed the ring on purpose (kClosedByWriter). */
const CLOSED_BY_WRITER = "the ring's writer closed it";

/** What a client emits: `gone` when its server closed the ring or died; `error` for a handler's failure. */
export interface RingClientEvents {
  gone: [err: RingError];
  error: [err: unknown];
}

export class RingClient extends EventEmitter<RingClientEvents> implements Disposable {
  readonly name: string;
  readonly policy: ReadPolicy;
  readonly layout: NativeLayout;
  private readonly client: NativeRingClient;
  private readonly slotViews: Uint8Array[];
  private readonly meta: Float64Array;
  private delivering = false;
  /** Set once frames()/messages()/pullAsync() started reading: they, not a handler, get the slots. */
  private asyncReads: AsyncSlots | null = null;
  private closed = false;
  private goneError: RingError | null = null;
  /** The writer closed the ring on purpose (loops end quietly), rather than dying (they throw WRITER_GONE). */
  private goneCleanly = false;
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
      throw err instanceof RingError
        ? err
        : new RingError('RING_INVALID', `ring '${this.name}' cannot be read: ${(err as Error).message}`);
    }
    closeOnExit(this.exitHook);
  }

  protected static async openWhenReady<T>(
    open: () => T,
    name: string,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const { timeoutMs = 10_000, signal } = opts;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
      throw new RingError(
        'INVALID_ARGUMENT',
        `waitFor: timeoutMs must be a number ≥ 0 (Infinity: no limit), got ${String(timeoutMs)}`,
      );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) throw abortedError(`waiting for ring '${name}'`);
      try {
        return open();
      } catch (err) {
        const notYet = err instanceof RingError && err.code === 'RING_NOT_FOUND';
        if (!notYet) throw err;
        if (Date.now() >= deadline)
          throw new RingError(
            'TIMEOUT',
            `ring '${name}' did not appear within ${timeoutMs} ms; is its server running?`,
          );
      }
      // The ring's appearance has no wakeup to wait on: a short sleep, which the signal cuts short.
      await pause(25, signal);
    }
  }

  protected static policyOf(opts: OpenOptions | undefined, fallback: ReadPolicy): ReadPolicy {
    return readPolicy(opts?.policy, fallback);
  }

  /** The slot's bytes in use, as a zero-copy view. */
  protected view(slot: TakenSlot): Uint8Array {
    const whole = this.slotViews[slot.index];
    const bytes = slot.meta.bytes;
    return bytes === whole.byteLength ? whole : whole.subarray(0, bytes);
  }

  /** The meta of the frame just taken, read from the array the native side wrote it into. */
  private slotAt(index: number): TakenSlot {
    const m = this.meta;
    // Order: MetaField in native/ring_client.cc. A NaN pts is the native "no pts".
    const meta: SlotMeta = {
      seq: m[0],
      bytes: m[1],
      timestampUs: m[2],
      frameNumber: m[3],
      width: m[4],
      height: m[5],
      slotId: m[6],
      ptsUs: Number.isNaN(m[8]) ? null : m[8],
      restarts: m[9],
      format: formatOfTag(m[10]),
    };
    return { index, meta, droppedBefore: m[7] };
  }

  release(index: number): void {
    if (!this.closed) this.client.release(index);
  }

  /** The ring's slots. */
  get slotCount(): number {
    return this.layout.slotCount;
  }

  /** When the ring was made (µs since the epoch): with the name, what tells this ring from one made again later. */
  get createdUs(): number {
    return this.layout.createdUs;
  }

  /** Takes slot `index` if it still holds frame `seq` (a reference from another process); null when it does not. */
  protected takeSlot(index: number, seq: number): TakenSlot | null {
    this.checkOpen();
    if (this.delivering) {
      // Its own hold on a slot would stop its delivery there (SLOT-7) and hand that frame out twice.
      throw new RingError(
        'INVALID_ARGUMENT',
        `ring '${this.name}' is read by a handler or a loop, so it cannot also take frames by reference; ` +
          'open a second client for the references',
      );
    }
    const taken = this.client.tryAcquireSlot(index, seq);
    return taken < 0 ? null : this.slotAt(taken);
  }

  /**
   * Starts delivery: `deliver` gets each slot and returns when (or a promise of when) it is done with it. `by` says
   * who reads: a handler (onFrame/onMessage) or the async loops, which share one delivery.
   */
  protected deliver(deliver: (slot: TakenSlot) => void | Promise<void>, by: 'handler' | 'loop' = 'handler'): void {
    this.checkOpen();
    if (this.delivering) {
      const reader = this.asyncReads ? 'frames()/messages()/pullAsync()' : 'a handler (onFrame/onMessage)';
      const asked = by === 'loop' ? 'an async loop' : 'a handler';
      throw new RingError(
        'INVALID_ARGUMENT',
        `ring '${this.name}' is already read by ${reader}, so ${asked} cannot read it too; a client has one reader: ` +
          'open a second client to read the ring twice',
      );
    }
    this.delivering = true;
    // Runs one delivery; true when it finished synchronously.
    const runOne = (index: number): boolean => {
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
    // The writer's death, a doorbell the writer cannot reach and a lost ring are seen by the native liveness look,
    // one period (250 ms) after the last frame handed out: it reports a gone writer through this callback (index -1).
    this.client.start((index, goneReason) => {
      if (index < 0) {
        this.markGone(goneReason ?? `ring '${this.name}': writer gone`);
        return;
      }
      if (runOne(index)) drain();
    });
  }

  /** pullAsync() of both clients: the next slot, made into what the client hands out; null after timeoutMs. */
  protected async pullAsyncWith<T>(opts: PullOptions, make: (slot: TakenSlot) => T): Promise<T | null> {
    const slots = this.asyncSlots();
    const step = await slots.take({ signal: opts.signal, timeoutMs: pullTimeout(opts.timeoutMs) });
    if (step === 'end') throw slots.ending;
    return step ? make(step) : null;
  }

  /**
   * The slots async reads take: one queue per client, on the handler's delivery (doorbell or waiter thread), so a
   * loop never polls. Throws INVALID_ARGUMENT when a handler reads this client already.
   */
  protected asyncSlots(): AsyncSlots {
    this.checkOpen();
    if (this.asyncReads) return this.asyncReads;
    const slots = new AsyncSlots(this.name, {
      start: (onSlot) => this.deliver(onSlot, 'loop'),
      takeBetweenDeliveries: () => this.takeBetweenDeliveries(),
      release: (slot) => this.release(slot.index),
      newestOnly: this.policy === 'latest',
    });
    if (this.delivering) slots.start(); // throws the coded error that names the handler
    this.asyncReads = slots;
    if (this.goneError) slots.end(this.goneError, this.goneCleanly);
    return slots;
  }

  /** A slot taken on this thread while a delivery is in progress (the native side waits for its next()), or null. */
  private takeBetweenDeliveries(): TakenSlot | null {
    if (this.closed) return null;
    const index = this.client.tryAcquire();
    return index < 0 ? null : this.slotAt(index);
  }

  protected pullSlot(timeoutMs: number): TakenSlot | null {
    this.checkOpen();
    if (this.delivering)
      throw new RingError(
        'INVALID_ARGUMENT',
        `pull() cannot read ring '${this.name}' while a handler or an async loop reads it; ` +
          `use one way of reading per client`,
      );
    // A termination signal ends the wait (INTERRUPTED), so that Node can run its handler.
    watchTerminationSignals();
    try {
      const index = native(() => this.client.pull(timeoutMs));
      return index < 0 ? null : this.slotAt(index);
    } catch (err) {
      if (err instanceof RingError && err.code === 'WRITER_GONE') this.markGone(err.message);
      if (err instanceof RingError && err.code === 'INTERRUPTED') onPullInterrupted();
      throw err;
    }
  }

  stats(): RingClientStats {
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

  /** Gives back every slot this client holds and its reader table entry. Ends async loops. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    forgetOnExit(this.exitHook);
    this.client.close();
    this.asyncReads?.close(new RingError('CLOSED', `reader of ring '${this.name}' is closed`));
  }

  /** close(), for `using client = FrameRingClient.open(…)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  private markGone(reason: string): void {
    if (this.goneError) return;
    this.goneError = new RingError('WRITER_GONE', reason);
    this.goneCleanly = reason.endsWith(CLOSED_BY_WRITER);
    this.asyncReads?.end(this.goneError, this.goneCleanly);
    this.emit('gone', this.goneError);
  }

  private reportHandlerError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else console.error(`framering: the handler of ring '${this.name}' failed:`, err);
  }

  protected checkOpen(): void {
    if (this.closed) throw new RingError('CLOSED', `reader of ring '${this.name}' is closed`);
  }
}

/** ms of sleep that `signal` cuts short, with one shared abort listener per signal (abort_listeners.ts). */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const forget = signal ? onAbort(signal, () => done()) : undefined;
    const timer = setTimeout(() => done(), ms);
    const done = (): void => {
      clearTimeout(timer);
      forget?.();
      resolve();
    };
  });
}
