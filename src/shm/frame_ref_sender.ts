/**
 * Passes frames on by reference (FrameRef) through a small data ring, instead of copying their pixels into a ring of
 * its own: the receiving process (FrameRefReceiver) takes its own hold on the frame's slot where it lies. The sender
 * keeps a hold on the last `hold` frames it sent of each ring (never more than that ring's slots − 3, so that with
 * the frame each side is handling its writer still has a slot to write), for about `holdMs`, so that the slot is
 * still there when the receiver comes to it; after that a late receiver finds the slot overwritten and counts the
 * frame lost. Its holds are pins of their own
 * (frame.ts): the user's retain() and release() of the same frame neither take nor give back the sender's.
 */
import { DataRingServer, type DataRingInfo } from './data_ring_server.js';
import { type Frame, pinFrame, ringOfFrame, unpinFrame } from './frame.js';
import { FRAME_REF_MAX_BYTES, writeFrameRef } from './frame_ref.js';
import { wholeNumber } from './options.js';
import type { RingServerStats } from './ring_server.js';
import { RingError, native } from './ring_error.js';
import { onSharedTick } from './shared_tick.js';

export interface FrameRefSenderOptions {
  /** The name of the data ring the references go through. */
  name: string;
  /** Frames of each ring whose hold is kept for the receiver (default 2, at most the ring's slots − 3). */
  hold?: number;
  /** How long each hold is kept, in ms (default 1000; let go within a second after that). */
  holdMs?: number;
  /** Slots of the reference ring (default 16): references the receiver has not read yet. */
  slots?: number;
}

export interface FrameRefSenderStats extends RingServerStats {
  /** Frames whose hold is kept for the receiver now, over all rings. */
  holding: number;
}

/** Limits of the options, checked here and by ClientProcess's constructor. */
export const FRAME_REF_LIMITS = { hold: [1, 62], holdMs: [1, 3_600_000] } as const;

const SWEEP_MS = 1000;

/** The reference ring: its messages are references in their wire form (frame_ref.ts), not v8-serialized values. */
class FrameRefRing extends DataRingServer {
  private readonly scratch = new Uint8Array(FRAME_REF_MAX_BYTES);

  sendRef(frame: Frame): number | null {
    this.checkOpen();
    const bytes = writeFrameRef(frame.ref(), this.scratch);
    if (bytes === 0) throw new RingError('INVALID_ARGUMENT', `FrameRefSender '${this.name}': not a ring's name`);
    const seq = native(() => this.nativeServer.write(this.scratch.subarray(0, bytes)));
    return seq < 0 ? null : seq;
  }
}

interface Held {
  frame: Frame;
  atMs: number;
}

export class FrameRefSender implements Disposable {
  readonly hold: number;
  readonly holdMs: number;
  private readonly ring: FrameRefRing;
  private readonly held = new Map<string, Held[]>(); // by ring name, oldest first
  private readonly stopSweep: () => void;
  private lastStats: FrameRefSenderStats | null = null;

  constructor(opts: FrameRefSenderOptions) {
    if (!opts || typeof opts !== 'object') throw new RingError('INVALID_ARGUMENT', 'FrameRefSender needs { name }');
    this.hold = wholeNumber('hold', opts.hold ?? 2, ...FRAME_REF_LIMITS.hold);
    this.holdMs = wholeNumber('holdMs', opts.holdMs ?? 1000, ...FRAME_REF_LIMITS.holdMs);
    this.ring = new FrameRefRing({ name: opts.name, slots: opts.slots ?? 16, maxMessageBytes: FRAME_REF_MAX_BYTES });
    // The reference ring's own reclaim already wakes this process every second: the sweep rides along.
    this.stopSweep = onSharedTick(SWEEP_MS, () => this.releaseOlderThan(performance.now() - this.holdMs));
  }

  get name(): string {
    return this.ring.name;
  }

  /** What a FrameRefReceiver opens. */
  info(): DataRingInfo {
    return this.ring.info();
  }

  /**
   * Sends a reference to `frame` and keeps a hold on it (the oldest hold of its ring beyond `hold` is given back).
   * Returns the reference's seq, or null when every slot of the reference ring was held (nothing sent or held); a
   * receiver that reads too slowly loses the oldest references instead (counted skipped on its side).
   */
  send(frame: Frame): number | null {
    if (frame.isReleased)
      throw new RingError('CLOSED', `FrameRefSender '${this.name}': frame ${frame.meta.seq} was already released`);
    const now = performance.now();
    this.releaseOlderThan(now - this.holdMs);
    const seq = this.ring.sendRef(frame);
    if (seq === null) return null;
    const { name, slotCount } = ringOfFrame(frame);
    const list = this.held.get(name) ?? [];
    this.held.set(name, list);
    if (!list.some((h) => h.frame === frame)) {
      pinFrame(frame);
      list.push({ frame, atMs: now });
      // Besides these pins, the sender's own reader holds the frame it is handling and the receiver the one it is
      // handling (maybe one the sender no longer pins): slots − 3 pins leave the writer a slot. A ring of 3 slots or
      // fewer gets no pin at all: a prompt receiver still finds the frame, a late one counts it lost.
      const keep = Math.max(0, Math.min(this.hold, slotCount - 3));
      while (list.length > keep) unpinFrame(list.shift()!.frame);
    }
    return seq;
  }

  stats(): FrameRefSenderStats {
    if (this.lastStats) return this.lastStats; // closed: the counts as they were
    let holding = 0;
    for (const list of this.held.values()) holding += list.length;
    return { ...this.ring.stats(), holding };
  }

  get isClosed(): boolean {
    return this.ring.isClosed;
  }

  /** Gives back every kept hold and closes the reference ring (the receiver sees it gone). Idempotent. */
  close(): void {
    if (this.lastStats) return;
    this.stopSweep();
    this.releaseOlderThan(Number.POSITIVE_INFINITY);
    this.lastStats = this.stats();
    this.ring.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private releaseOlderThan(ms: number): void {
    for (const [name, list] of this.held) {
      while (list.length > 0 && list[0]!.atMs <= ms) unpinFrame(list.shift()!.frame);
      if (list.length === 0) this.held.delete(name);
    }
  }
}
