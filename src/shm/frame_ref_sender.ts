/**
 * Passes frames on by reference (FrameRef) through a small data ring, instead of copying their pixels into a ring of
 * its own: the receiving process (FrameRefReceiver) takes its own hold on the frame's slot where it lies. The sender
 * keeps its hold on the last `hold` frames it sent, for at most `holdMs`, so that the slot is still there when the
 * receiver comes to it; after that a late receiver finds the slot overwritten and counts the frame lost.
 */
import { DataRingServer, type DataRingInfo } from './data_ring_server.js';
import type { Frame } from './frame.js';
import { frameRefToWire } from './frame_ref.js';
import { wholeNumber } from './options.js';
import type { RingServerStats } from './ring_server.js';
import { RingError } from './ring_error.js';
import { onSharedTick } from './shared_tick.js';

export interface FrameRefSenderOptions {
  /** The name of the data ring the references go through. */
  name: string;
  /** Frames whose hold is kept for the receiver (default 2: with a ring of 8 slots, the writer keeps 6). */
  hold?: number;
  /** How long each hold is kept at most, in ms (default 1000). */
  holdMs?: number;
  /** Slots of the reference ring (default 16): references the receiver has not read yet. */
  slots?: number;
}

export interface FrameRefSenderStats extends RingServerStats {
  /** Frames whose hold is kept for the receiver now. */
  holding: number;
}

/** A reference message is ~60 bytes serialized; a ring name is at most 255. */
const MAX_REF_BYTES = 512;
const SWEEP_MS = 1000;

interface Held {
  frame: Frame;
  atMs: number;
}

export class FrameRefSender implements Disposable {
  readonly hold: number;
  readonly holdMs: number;
  private readonly ring: DataRingServer;
  private readonly held: Held[] = []; // oldest first
  private readonly stopSweep: () => void;

  constructor(opts: FrameRefSenderOptions) {
    if (!opts || typeof opts !== 'object') throw new RingError('INVALID_ARGUMENT', 'FrameRefSender needs { name }');
    this.hold = wholeNumber('hold', opts.hold ?? 2, 1, 63);
    this.holdMs = wholeNumber('holdMs', opts.holdMs ?? 1000, 1, 3_600_000);
    this.ring = new DataRingServer({ name: opts.name, slots: opts.slots ?? 16, maxMessageBytes: MAX_REF_BYTES });
    this.stopSweep = onSharedTick(SWEEP_MS, () => this.releaseOlderThan(Date.now() - this.holdMs));
  }

  get name(): string {
    return this.ring.name;
  }

  /** What a FrameRefReceiver opens. */
  info(): DataRingInfo {
    return this.ring.info();
  }

  /**
   * Sends a reference to `frame` and keeps its hold (the oldest kept hold beyond `hold` is given back). Returns the
   * reference's seq, or null when the receiver had not read `slots` references yet (nothing sent, nothing held).
   */
  send(frame: Frame): number | null {
    if (frame.isReleased)
      throw new RingError('CLOSED', `FrameRefSender '${this.name}': frame ${frame.meta.seq} was already released`);
    const seq = this.ring.send(frameRefToWire(frame.ref()));
    if (seq === null) return null;
    if (!this.held.some((h) => h.frame === frame)) {
      frame.retain();
      this.held.push({ frame, atMs: Date.now() });
      while (this.held.length > this.hold) this.held.shift()!.frame.release();
    }
    return seq;
  }

  stats(): FrameRefSenderStats {
    return { ...this.ring.stats(), holding: this.held.filter((h) => !h.frame.isReleased).length };
  }

  get isClosed(): boolean {
    return this.ring.isClosed;
  }

  /** Gives back every kept hold and closes the reference ring (the receiver sees it gone). Idempotent. */
  close(): void {
    this.stopSweep();
    this.releaseOlderThan(Number.POSITIVE_INFINITY);
    this.ring.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private releaseOlderThan(ms: number): void {
    while (this.held.length > 0 && this.held[0]!.atMs <= ms) this.held.shift()!.frame.release();
  }
}
