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
import { FrameRefReader, type FrameRef } from './frame_ref.js';
import { FrameRingClient, handFrame, type FrameHandler } from './frame_ring_client.js';
import type { PixelFormat } from './pixel_format.js';
import { RingError } from './ring_error.js';
import { RingClient, type OpenOptions, type WaitOptions } from './ring_client.js';
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
  /**
   * A frame that could not be taken for a reason worth a word (a ring of the wrong format, or one that cannot be
   * opened): at most one such report a minute per receiver, however many rings. Each failure of the handler is
   * reported too. Without a listener it is written to stderr instead.
   */
  error: [err: unknown];
}

const RING_LOOK_MS = 1000;
/** A frame ring no reference has named for this long is let go (its reader entry and mapping with it). */
const RING_IDLE_MS = 10_000;
const ERROR_EVERY_MS = 60_000;

interface OpenRing {
  client: FrameRingClient;
  lastUsedMs: number;
}

interface RetiringRing {
  client: FrameRingClient;
  sinceMs: number;
}

function nameOf(info: string | DataRingInfo): string {
  return typeof info === 'string' ? info : info?.name;
}

/** The reference ring's reader: its messages are references in their wire form (frame_ref.ts), or null for junk. */
class FrameRefRingClient extends DataRingClient {
  private readonly refReader = new FrameRefReader();

  static openRefs(info: string | DataRingInfo, opts: OpenOptions): FrameRefRingClient {
    return DataRingClient.ofData(new FrameRefRingClient(nameOf(info), opts));
  }

  static waitForRefs(info: string | DataRingInfo, opts: WaitOptions): Promise<FrameRefRingClient> {
    return RingClient.openWhenReady(() => FrameRefRingClient.openRefs(info, opts), nameOf(info), opts);
  }

  protected override decode(bytes: Uint8Array): FrameRef | null {
    return this.refReader.read(bytes);
  }
}

export class FrameRefReceiver extends EventEmitter<FrameRefReceiverEvents> implements Disposable {
  readonly name: string;
  private readonly refs: FrameRefRingClient;
  private readonly rings = new Map<string, OpenRing>();
  /** Rings let go while frames of theirs were still out: closed once those are released (or after RING_IDLE_MS). */
  private readonly retiring = new Set<RetiringRing>();
  /** Rings (name@createdUs) of another pixel format: their references are lost without another look. */
  private readonly refused = new Set<string>();
  private lastRingErrorMs = Number.NEGATIVE_INFINITY;
  private readonly counts = { received: 0, taken: 0, lost: 0, skipped: 0 };
  private stopLook: (() => void) | null;
  private closed = false;

  private constructor(
    refs: FrameRefRingClient,
    private readonly opts: FrameRefReceiverOptions,
  ) {
    super();
    this.refs = refs;
    this.name = refs.name;
    refs.on('gone', (err) => {
      this.close();
      this.emit('gone', err);
    });
    refs.on('error', (err) => this.report(this.name, err, true));
    // Frame rings whose writer went away are let go (their memory with them); one shared timer, no extra wakeup.
    this.stopLook = onSharedTick(RING_LOOK_MS, () => this.dropGoneRings());
  }

  /** Attaches to a reference ring that exists now. `policy`: 'every' (default) or 'latest' (the newest reference). */
  static open(info: string | DataRingInfo, opts: FrameRefReceiverOptions = {}): FrameRefReceiver {
    return new FrameRefReceiver(FrameRefRingClient.openRefs(info, { ...opts, policy: opts.policy ?? 'every' }), opts);
  }

  /** Attaches, waiting up to timeoutMs for the reference ring to be created. */
  static async waitFor(
    info: string | DataRingInfo,
    opts: FrameRefReceiverOptions & WaitOptions = {},
  ): Promise<FrameRefReceiver> {
    const refs = await FrameRefRingClient.waitForRefs(info, { ...opts, policy: opts.policy ?? 'every' });
    return new FrameRefReceiver(refs, opts);
  }

  /**
   * Delivers each referenced frame, one at a time, like FrameRingClient.onFrame: released when the handler settles
   * unless retained. What did not arrive is in stats(): references `skipped` by the reference ring, frames `lost`.
   */
  onFrame(handler: FrameHandler): void {
    this.refs.onMessage((value) => {
      this.counts.received++;
      const frame = this.take(value as FrameRef | null);
      if (!frame) {
        this.counts.lost++;
        return;
      }
      this.counts.taken++;
      return handFrame(frame, handler);
    });
  }

  stats(): FrameRefReceiverStats {
    if (!this.closed) this.counts.skipped = this.refs.stats().dropped; // the last count stays after close
    return { ...this.counts, rings: this.rings.size };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Closes the reference ring's reader and lets go of every frame ring opened. A frame a handler still holds stays
   * valid until it is released (its ring lives on: only the sender went away), for up to 10 s. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.counts.skipped = this.refs.stats().dropped;
    this.closed = true;
    this.refs.close();
    for (const [name, open] of this.rings) this.letGo(name, open.client);
    this.stopLookWhenDone();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private take(ref: FrameRef | null): Frame | null {
    if (!ref || (this.refused.size > 0 && this.refused.has(`${ref.ring}@${ref.createdUs}`))) return null;
    const ring = this.ringFor(ref);
    return ring ? ring.takeRef(ref) : null;
  }

  /**
   * The open client of the reference's ring, opened as needed. A reference to another creation of the ring than the
   * one open is lost, unless the open one's writer is gone: then the name is opened again (the ring was made again).
   */
  private ringFor(ref: FrameRef): FrameRingClient | null {
    const now = performance.now();
    const open = this.rings.get(ref.ring);
    if (open && open.client.createdUs === ref.createdUs) {
      open.lastUsedMs = now;
      return open.client;
    }
    if (open) {
      if (open.client.writerGone() === null) return null; // junk, or a reference older than the ring's last making
      this.letGo(ref.ring, open.client);
    }
    let client: FrameRingClient;
    try {
      client = FrameRingClient.open(ref.ring, {
        policy: 'latest',
        allowForeign: this.opts.allowForeign,
        wakeup: this.opts.wakeup,
      });
    } catch (err) {
      // Gone already (RING_NOT_FOUND) is a lost frame, nothing more; anything else is worth a word now and then.
      if (!(err instanceof RingError && err.code === 'RING_NOT_FOUND')) this.report(ref.ring, err);
      return null;
    }
    if (this.opts.pixelFormat && client.pixelFormat !== this.opts.pixelFormat) {
      this.refused.add(`${ref.ring}@${client.createdUs}`);
      this.report(
        ref.ring,
        new RingError(
          'INVALID_ARGUMENT',
          `frame ring '${ref.ring}' carries ${client.pixelFormat} frames, but ${this.opts.pixelFormat} was asked ` +
            `for; its references are counted lost`,
        ),
      );
      client.close();
      return null;
    }
    this.rings.set(ref.ring, { client, lastUsedMs: now });
    return client.createdUs === ref.createdUs ? client : null;
  }

  /** Closes a ring client now, or once the frames taken from it are released (a handler may still hold one). */
  private letGo(name: string, client: FrameRingClient): void {
    if (this.rings.get(name)?.client === client) this.rings.delete(name);
    if (client.stats().held > 0) this.retiring.add({ client, sinceMs: performance.now() });
    else client.close();
  }

  private stopLookWhenDone(): void {
    if (!this.closed || this.retiring.size > 0 || !this.stopLook) return;
    this.stopLook();
    this.stopLook = null;
  }

  /** An 'error' event (a handler's failure: each; a ring's trouble: once a minute), or stderr without a listener. */
  private report(ring: string, err: unknown, always = false): void {
    const now = performance.now();
    if (!always) {
      // One a minute for the whole receiver: a sender naming many bad rings must not flood the log.
      if (now - this.lastRingErrorMs < ERROR_EVERY_MS) return;
      this.lastRingErrorMs = now;
    }
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else console.error(`framering: references on '${this.name}' to ring '${ring}':`, err);
  }

  /** Lets go of rings whose writer went away or that no reference named for a while, and of retired ones. */
  private dropGoneRings(): void {
    const now = performance.now();
    for (const [name, open] of this.rings) {
      if (open.client.writerGone() !== null || now - open.lastUsedMs > RING_IDLE_MS) this.letGo(name, open.client);
    }
    for (const r of this.retiring) {
      // A frame retained and never released must not keep a reader entry in the ring for ever.
      if (r.client.stats().held > 0 && now - r.sinceMs < RING_IDLE_MS) continue;
      r.client.close();
      this.retiring.delete(r);
    }
    this.stopLookWhenDone();
  }
}
