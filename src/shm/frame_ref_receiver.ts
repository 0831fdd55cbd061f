/**
 * Receives frames passed on by reference (FrameRefSender): reads the references from the sender's data ring and takes
 * each frame where it lies, in the ring the sender read it from, with a hold of its own (PROTOCOL.md SLOT-8). The
 * frames' rings are opened on first use and never waited on: the reference ring's doorbell is the only wakeup.
 * A reference whose slot was overwritten meanwhile, or whose ring is gone or was made again, is counted lost.
 */
import { EventEmitter } from 'node:events';
import { DataRingClient } from './data_ring_client.js';
import type { DataRingInfo } from './data_ring_server.js';
import type { Frame } from './frame.js';
import { frameRefFromWire, type FrameRef } from './frame_ref.js';
import { FrameRingClient, type FrameHandler } from './frame_ring_client.js';
import type { PixelFormat } from './pixel_format.js';
import { RingError } from './ring_error.js';
import type { OpenOptions, WaitOptions } from './ring_client.js';
import { onSharedTick } from './shared_tick.js';

export interface FrameRefReceiverOptions extends OpenOptions {
  /** Frames of another pixel format are refused (counted lost, one 'error' per ring). Default: any. */
  pixelFormat?: PixelFormat;
}

export interface FrameRefReceiverStats {
  /** References read. */
  received: number;
  /** Frames taken and handed to the handler. */
  taken: number;
  /** References whose frame was no longer there (overwritten, ring gone or made again, refused format, junk). */
  lost: number;
  /** References the reference ring skipped ('latest') or lapped ('every') before they were read. */
  skipped: number;
  /** Frame rings open now. */
  rings: number;
}

export interface FrameRefReceiverEvents {
  /** The reference ring's writer closed it or died: the receiver is closed. */
  gone: [err: RingError];
  /** A frame that could not be taken for a reason worth a word (a ring of the wrong format, or not readable). */
  error: [err: unknown];
}

const RING_LOOK_MS = 1000;

function nameOf(info: string | DataRingInfo): string {
  return typeof info === 'string' ? info : info?.name;
}

export class FrameRefReceiver extends EventEmitter<FrameRefReceiverEvents> implements Disposable {
  readonly name: string;
  private readonly refs: DataRingClient;
  private readonly rings = new Map<string, FrameRingClient>();
  private readonly refused = new Set<string>();
  private readonly counts = { received: 0, taken: 0, lost: 0, skipped: 0 };
  private readonly stopLook: () => void;
  private closed = false;

  private constructor(
    refs: DataRingClient,
    private readonly opts: FrameRefReceiverOptions,
  ) {
    super();
    this.refs = refs;
    this.name = refs.name;
    refs.on('gone', (err) => {
      this.close();
      this.emit('gone', err);
    });
    refs.on('error', (err) => this.emit('error', err));
    // Frame rings whose writer went away are let go (their memory with them); one shared timer, no extra wakeup.
    this.stopLook = onSharedTick(RING_LOOK_MS, () => this.dropGoneRings());
  }

  /** Attaches to a reference ring that exists now. `policy`: 'every' (default) or 'latest' (the newest reference). */
  static open(info: string | DataRingInfo, opts: FrameRefReceiverOptions = {}): FrameRefReceiver {
    return new FrameRefReceiver(DataRingClient.open(info, { ...opts, policy: opts.policy ?? 'every' }), opts);
  }

  static async waitFor(info: string | DataRingInfo, opts: FrameRefReceiverOptions & WaitOptions = {}) {
    const refs = await DataRingClient.waitFor(nameOf(info), { ...opts, policy: opts.policy ?? 'every' });
    return new FrameRefReceiver(refs, opts);
  }

  /**
   * Delivers each referenced frame, one at a time, like FrameRingClient.onFrame: released when the handler settles
   * unless retained. What did not arrive is in stats(): references `skipped` by the reference ring, frames `lost`.
   */
  onFrame(handler: FrameHandler): void {
    this.refs.onMessage((value) => {
      this.counts.received++;
      const frame = this.take(value);
      if (!frame) {
        this.counts.lost++;
        return;
      }
      this.counts.taken++;
      const settle = (): void => {
        if (!frame.isRetained) frame.release();
      };
      let result: void | Promise<void>;
      try {
        result = handler(frame);
      } catch (err) {
        settle();
        throw err;
      }
      if (result && typeof (result as Promise<void>).then === 'function')
        return (result as Promise<void>).finally(settle);
      settle();
    });
  }

  stats(): FrameRefReceiverStats {
    if (!this.closed) this.counts.skipped = this.refs.stats().dropped; // the last count stays after close
    return { ...this.counts, rings: this.rings.size };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the reference ring's reader and every frame ring opened. Frames still out become invalid. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopLook();
    this.refs.close();
    for (const ring of this.rings.values()) ring.close();
    this.rings.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private take(value: unknown): Frame | null {
    const ref = frameRefFromWire(value);
    if (!ref || this.refused.has(ref.ring)) return null;
    const ring = this.ringFor(ref);
    return ring ? ring.takeRef(ref) : null;
  }

  /** The open client of the reference's ring, opened (or opened again, when the ring was made again) as needed. */
  private ringFor(ref: FrameRef): FrameRingClient | null {
    let ring = this.rings.get(ref.ring);
    if (ring && ring.createdUs === ref.createdUs) return ring;
    if (ring && ring.createdUs > ref.createdUs) return null; // a reference to the ring before this one
    ring?.close();
    this.rings.delete(ref.ring);
    try {
      ring = FrameRingClient.open(ref.ring, {
        policy: 'latest',
        allowForeign: this.opts.allowForeign,
        wakeup: this.opts.wakeup,
      });
    } catch (err) {
      // Gone already (RING_NOT_FOUND) is a lost frame, nothing more; anything else is worth a word, once.
      if (!(err instanceof RingError && err.code === 'RING_NOT_FOUND')) this.refuse(ref.ring, err);
      return null;
    }
    if (this.opts.pixelFormat && ring.pixelFormat !== this.opts.pixelFormat) {
      ring.close();
      this.refuse(
        ref.ring,
        new RingError(
          'INVALID_ARGUMENT',
          `frame ring '${ref.ring}' carries ${ring.pixelFormat} frames, but ${this.opts.pixelFormat} was asked for; ` +
            `its references are counted lost`,
        ),
      );
      return null;
    }
    this.rings.set(ref.ring, ring);
    return ring.createdUs === ref.createdUs ? ring : null;
  }

  private refuse(ring: string, err: unknown): void {
    this.refused.add(ring);
    this.emit('error', err);
  }

  private dropGoneRings(): void {
    for (const [name, ring] of this.rings) {
      if (ring.writerGone() === null) continue;
      ring.close();
      this.rings.delete(name);
    }
  }
}
