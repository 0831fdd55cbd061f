// RGB24Process: a MessageProcess whose backend reads frame rings (usually LiveStreams') and hands every frame to
// handleFrame(frame, source). Several rings at once (one process for all cameras), each with its own counters.

import {
  FrameRefReceiver,
  FrameRingClient,
  type DataRingInfo,
  type Frame,
  type FrameRingInfo,
  type ReadPolicy,
  type SlotMeta,
} from '../shm/index.js';
import { sendEventToFrontend } from './backend_events.js';
import { ACTIVATE_FRAME_REFS, FRAME_TAKEN, RING_GONE, TEARDOWN_BACKEND } from './internal_symbols.js';
import { MessageProcess } from './message_process.js';
import type { AnyEvents, ProcessEventMap } from './process_events.js';
import { ProcessError } from './process_error.js';

export interface RGB24ClientOptions {
  /**
   * 'latest' (default): jump to the newest frame, skipping what a slow handler missed. 'every': in order, drops
   * counted.
   */
  policy?: ReadPolicy;
  /** The name handleFrame receives as `source` and deactivateRGB24Client takes. Default: the ring's name. */
  source?: string;
  /** Wait up to this long for the ring to appear (default 0: it must exist now). */
  waitMs?: number;
}

export interface RGB24RingStats {
  source: string;
  ring: string;
  policy: ReadPolicy;
  /** Frames handleFrame finished (without throwing). */
  handled: number;
  /** Frames this reader never saw: skipped by 'latest', or lapped under 'every'. */
  dropped: number;
  /** handleFrame calls that threw or rejected. */
  errors: number;
  lastError?: string;
}

interface ActiveRing {
  source: string;
  ring: string;
  policy: ReadPolicy;
  /** A frame ring, or the reference ring of a client that passes its frames on by reference. */
  client: FrameRingClient | FrameRefReceiver;
  handled: number;
  dropped: number;
  errors: number;
  lastError?: string;
  lastErrorEventMs: number;
}

/** Payload of the 'ring-gone' event the frontend receives when a ring's writer closes or dies. */
export interface RingGoneEvent {
  source: string;
  ring: string;
  reason: string;
}

/** Payload of the 'frame-error' event (at most one per ring per second; the count is in getStats()). */
export interface FrameErrorEvent {
  source: string;
  message: string;
  errors: number;
}

/** The events an RGB24Process's backend sends, besides the class's own. */
export interface RGB24Events {
  'ring-gone': [event: RingGoneEvent];
  'frame-error': [event: FrameErrorEvent];
}

const ERROR_EVENT_INTERVAL_MS = 1000;

/**
 * `Events`: what your subclass's backend sends with sendOut, e.g. `RGB24Process<{ brightness: [value: number] }>`;
 * `p.on()`, `p.events()` and `sendOut()` then check names and payloads. Left out, any name is accepted, untyped.
 */
export class RGB24Process<Events extends ProcessEventMap<Events> = AnyEvents> extends MessageProcess<
  RGB24Events & Events
> {
  static override moduleUrl = import.meta.url;
  private readonly activeRings = new Map<string, ActiveRing>();

  /**
   * Backend: the frame handler. `frame.pixels` is a zero-copy view into the ring slot, valid until the handler (and
   * its promise) settles; call frame.retain() to keep it longer and frame.release() when done, or frame.copy().
   * The next frame of the same ring comes after this one settles; other rings are handled side by side.
   */
  protected async handleFrame(frame: Frame, source: string): Promise<void> {
    void frame;
    void source;
  }

  /** Backend: called when a ring's writer closed, died or was replaced; the ring is already deactivated. */
  protected async handleRingGone(source: string, reason: string): Promise<void> {
    void source;
    void reason;
  }

  /** Backend (call it as p.backend.activateRGB24Client(ringInfo) from the frontend): start reading a frame ring. */
  async activateRGB24Client(pars: FrameRingInfo | string, options: RGB24ClientOptions = {}): Promise<string> {
    this.assertBackend('activateRGB24Client');
    const ring = typeof pars === 'string' ? pars : pars?.name;
    if (typeof ring !== 'string' || ring.length === 0) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        'activateRGB24Client needs the ring info ({ name, width, height, slots }) or its name',
      );
    }
    const source = options.source ?? ring;
    if (typeof source !== 'string' || source.length === 0)
      throw new ProcessError('INVALID_ARGUMENT', 'activateRGB24Client: source must be a non-empty string');
    if (this.activeRings.has(source)) {
      throw new ProcessError(
        'ALREADY_REGISTERED',
        `process '${this.name}' already reads a ring as '${source}'; ` +
          `deactivateRGB24Client('${source}') first, or pick another source name`,
      );
    }
    const policy = options.policy ?? 'latest';
    const client = options.waitMs
      ? await FrameRingClient.waitFor(pars, { policy, timeoutMs: options.waitMs })
      : FrameRingClient.open(pars, { policy });
    if (client.pixelFormat !== 'rgb24') {
      // handleFrame and the analysis helpers read RGB24: refuse other layouts rather than misread their bytes.
      client.close();
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `ring '${ring}' carries ${client.pixelFormat} frames but an RGB24Process reads rgb24 only; ` +
          "create its LiveStream with pixelFormat 'rgb24' (the default), or read the ring with a FrameRingClient",
      );
    }
    if (this.activeRings.has(source)) {
      // Another activation with the same source won the race while we waited.
      client.close();
      throw new ProcessError('ALREADY_REGISTERED', `process '${this.name}' already reads a ring as '${source}'`);
    }
    this.readFrom(source, ring, policy, client);
    return source;
  }

  /** Framework step: read the frames a client passes on by reference (FrameRefSender) through `refs`. */
  protected async [ACTIVATE_FRAME_REFS](
    refs: DataRingInfo,
    options: { source: string; policy: ReadPolicy },
  ): Promise<void> {
    const { source, policy } = options;
    if (this.activeRings.has(source))
      throw new ProcessError('ALREADY_REGISTERED', `process '${this.name}' already reads a ring as '${source}'`);
    // 'latest' here is the newest reference: a busy reader skips to the newest frame it was passed.
    const receiver = FrameRefReceiver.open(refs, { policy, pixelFormat: 'rgb24' });
    receiver.on('error', (err) => console.error(`framering process '${this.name}': '${source}':`, err));
    this.readFrom(source, refs.name, policy, receiver);
  }

  private readFrom(source: string, ring: string, policy: ReadPolicy, client: FrameRingClient | FrameRefReceiver): void {
    const entry: ActiveRing = { source, ring, policy, client, handled: 0, dropped: 0, errors: 0, lastErrorEventMs: 0 };
    this.activeRings.set(source, entry);
    client.on('gone', (err: Error) => void this.ringGone(entry, err.message));
    client.onFrame(async (frame) => {
      entry.dropped += frame.droppedBefore;
      this[FRAME_TAKEN](frame.meta, source);
      try {
        await this.handleFrame(frame, source);
        entry.handled++;
      } catch (err) {
        this.frameFailed(entry, err);
      }
    });
  }

  /** Backend: stop reading the ring activated as `source`. */
  async deactivateRGB24Client(source: string): Promise<void> {
    this.assertBackend('deactivateRGB24Client');
    const entry = this.activeRings.get(source);
    if (!entry) {
      throw new ProcessError(
        'NOT_FOUND',
        `process '${this.name}' reads no ring as '${source}' ` +
          `(active: ${[...this.activeRings.keys()].join(', ') || 'none'})`,
      );
    }
    this.activeRings.delete(source);
    entry.client.close();
  }

  /** Backend: the sources of the rings being read. */
  activeRGB24Clients(): string[] {
    this.assertBackend('activeRGB24Clients');
    return [...this.activeRings.keys()];
  }

  /** Backend: per-ring counters, keyed by source. */
  getStats(): { rings: Record<string, RGB24RingStats> } {
    this.assertBackend('getStats');
    const rings: Record<string, RGB24RingStats> = {};
    for (const e of this.activeRings.values()) {
      let dropped = e.dropped;
      if (e.client instanceof FrameRefReceiver && !e.client.isClosed) {
        const refs = e.client.stats();
        dropped += refs.skipped + refs.lost;
      }
      rings[e.source] = {
        source: e.source,
        ring: e.ring,
        policy: e.policy,
        handled: e.handled,
        dropped,
        errors: e.errors,
      };
      if (e.lastError !== undefined) rings[e.source]!.lastError = e.lastError;
    }
    return { rings };
  }

  private frameFailed(entry: ActiveRing, err: unknown): void {
    entry.errors++;
    entry.lastError = err instanceof Error ? err.message : String(err);
    const now = Date.now();
    if (now - entry.lastErrorEventMs < ERROR_EVENT_INTERVAL_MS) return;
    if (entry.errors === 1)
      console.error(`framering process '${this.name}': handleFrame failed for '${entry.source}':`, err);
    entry.lastErrorEventMs = now;
    sendEventToFrontend('frame-error', {
      source: entry.source,
      message: entry.lastError,
      errors: entry.errors,
    } satisfies FrameErrorEvent);
  }

  private async ringGone(entry: ActiveRing, reason: string): Promise<void> {
    if (this.activeRings.get(entry.source) !== entry) return; // already deactivated
    this.activeRings.delete(entry.source);
    entry.client.close();
    sendEventToFrontend('ring-gone', { source: entry.source, ring: entry.ring, reason } satisfies RingGoneEvent);
    try {
      await this[RING_GONE](entry.source, reason);
      await this.handleRingGone(entry.source, reason);
    } catch (err) {
      console.error(`framering process '${this.name}': handleRingGone('${entry.source}') failed:`, err);
    }
  }

  /** Framework notice of the frame about to go to handleFrame; MasterProcess extends it. */
  protected [FRAME_TAKEN](meta: SlotMeta, source: string): void {
    void meta;
    void source;
  }

  /** Framework reaction to a ring going away, before handleRingGone; MasterProcess extends it. */
  protected async [RING_GONE](source: string, reason: string): Promise<void> {
    void source;
    void reason;
  }

  protected override async [TEARDOWN_BACKEND](): Promise<void> {
    for (const entry of this.activeRings.values()) entry.client.close();
    this.activeRings.clear();
    await super[TEARDOWN_BACKEND]();
  }
}
