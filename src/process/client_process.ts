// ClientProcess: an RGB24Process that does light per-camera work and forwards frames to a shared MasterProcess.
// Its backend owns two rings: a frame ring (frames it forwards to the master) and a data ring (results for
// downstream consumers). It listens to one data ring of the master's, where the master's replies arrive, and hands
// each reply to handleMessage(value).

import {
  DataRingClient,
  DataRingServer,
  Frame,
  FRAME_REF_LIMITS,
  FrameRefSender,
  FrameRingServer,
  type DataRingInfo,
  type FrameRingInfo,
  type LentSlot,
  type RingServerStats,
  type SlotMeta,
  type WriteMeta,
} from '../shm/index.js';
import { sendEventToFrontend } from './backend_events.js';
import { SETUP_BACKEND, TEARDOWN_BACKEND } from './internal_symbols.js';
import type { AnyEvents, ProcessEventMap } from './process_events.js';
import type { MessageProcessOptions } from './message_process.js';
import { ProcessError } from './process_error.js';
import { RGB24Process, type RGB24RingStats } from './rgb24_process.js';

/**
 * How a client forwards frames to its master. Copies: into a frame ring of its own, of this geometry (often smaller
 * than the camera's: downscale into lendForwardSlot()). By reference: the master takes the camera frame itself, where
 * it lies, with no copy; the client keeps its hold on the last `hold` frames forwarded (default 2) for at most
 * `holdMs` (default 1000), and a master later than that finds the frame overwritten and counts it dropped.
 */
export type ForwardOptions =
  | { width: number; height: number; slots?: number }
  | { byReference: true; hold?: number; holdMs?: number };

/** What a master attaches to: the client's forward ring, or its ring of frame references. */
export type ForwardInfo = { mode: 'copy'; ring: FrameRingInfo } | { mode: 'reference'; ring: DataRingInfo };

export interface ClientProcessOptions extends MessageProcessOptions {
  /** How frames go to the master: `{ width, height, slots? }` (copied) or `{ byReference: true }` (not copied). */
  forward: ForwardOptions;
  /** The data ring for downstream consumers (defaults: 16 slots of 1 MiB). */
  data?: { slots?: number; maxMessageBytes?: number };
}

/** Payload of the 'master-gone' event: the master's reply ring closed or its writer died. */
export interface MasterGoneEvent {
  ring: string;
  reason: string;
}

export interface ClientProcessStats {
  rings: Record<string, RGB24RingStats>;
  /** The forward ring's counters (the reference ring's, with `holding`, when forwarding by reference). */
  forward: RingServerStats & { mode: 'copy' | 'reference'; holding?: number };
  /** Replies received from the master: handled by handleMessage, failed, and the ring listened to (if any). */
  messages: { handled: number; errors: number; lastError?: string; listening: string | null };
}

/** The events a ClientProcess's backend sends, besides RGB24Process's and the class's own. */
export interface ClientEvents {
  'master-gone': [event: MasterGoneEvent];
}

export class ClientProcess<Events extends ProcessEventMap<Events> = AnyEvents> extends RGB24Process<
  ClientEvents & Events
> {
  static override moduleUrl = import.meta.url;
  private readonly forwardGeometry: { width: number; height: number; slots: number } | null;
  private readonly forwardHolds: { hold?: number; holdMs?: number } | null;
  private frameServer: FrameRingServer | null = null;
  private refSender: FrameRefSender | null = null;
  private dataServer: DataRingServer | null = null;
  private replyReader: DataRingClient | null = null;
  private readonly messageCounts = { handled: 0, errors: 0, lastError: undefined as string | undefined };

  constructor(options: ClientProcessOptions) {
    super(options);
    const f = options?.forward as Partial<Record<string, unknown>> | undefined;
    const optional = (v: unknown, [min, max]: readonly [number, number] = [1, Number.MAX_SAFE_INTEGER]): boolean =>
      v === undefined || (isPositiveInt(v) && v >= min && v <= max);
    const keys = f && typeof f === 'object' ? Object.keys(f) : [];
    if (
      f?.byReference === true &&
      keys.every((k) => ['byReference', 'hold', 'holdMs'].includes(k)) &&
      optional(f.hold, FRAME_REF_LIMITS.hold) &&
      optional(f.holdMs, FRAME_REF_LIMITS.holdMs)
    ) {
      this.forwardGeometry = null;
      this.forwardHolds = { hold: f.hold as number | undefined, holdMs: f.holdMs as number | undefined };
    } else if (
      f &&
      f.byReference === undefined &&
      isPositiveInt(f.width) &&
      isPositiveInt(f.height) &&
      optional(f.slots)
    ) {
      this.forwardGeometry = { width: f.width, height: f.height, slots: (f.slots as number | undefined) ?? 4 };
      this.forwardHolds = null;
    } else {
      const [h, hMax] = FRAME_REF_LIMITS.hold;
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `ClientProcess '${this.name}' needs forward: { width, height, slots? } (positive whole numbers: the geometry ` +
          `of the frames it copies to its master) or { byReference: true, hold?, holdMs? } (frames not copied; ` +
          `hold ${h}–${hMax}, holdMs 1–${FRAME_REF_LIMITS.holdMs[1]}, no size)`,
      );
    }
  }

  /** Backend: a reply from the master (or any data ring listened to). Override it. */
  protected async handleMessage(value: unknown, meta: SlotMeta): Promise<void> {
    void value;
    void meta;
  }

  /** Backend: the master's reply ring went away (the master stopped or died). The reader is already closed. */
  protected async handleMasterGone(reason: string): Promise<void> {
    void reason;
  }

  protected override async [SETUP_BACKEND](): Promise<void> {
    await super[SETUP_BACKEND]();
    const base = `${this.name}-${process.pid}`;
    if (this.forwardGeometry) this.frameServer = new FrameRingServer({ name: `${base}-fwd`, ...this.forwardGeometry });
    else this.refSender = new FrameRefSender({ name: `${base}-refs`, ...this.forwardHolds });
    const data = (this.options as ClientProcessOptions).data ?? {};
    this.dataServer = new DataRingServer({
      name: `${base}-data`,
      slots: data.slots,
      maxMessageBytes: data.maxMessageBytes,
    });
  }

  protected override async [TEARDOWN_BACKEND](): Promise<void> {
    // Readers first (the master's reply ring, then camera rings), our own servers last.
    this.closeReplyReader();
    await super[TEARDOWN_BACKEND]();
    this.frameServer?.close();
    this.refSender?.close();
    this.dataServer?.close();
  }

  /** Backend: the frame ring this client forwards into (name and geometry). Not there when forwarding by reference. */
  frameRingInfo(): FrameRingInfo {
    return this.ownFrameServer('frameRingInfo').info();
  }

  /** Backend: what a master attaches to (registerClientProcess asks it): the forward ring or the reference ring. */
  forwardInfo(): ForwardInfo {
    this.assertBackend('forwardInfo');
    if (this.forwardGeometry) return { mode: 'copy', ring: this.ownFrameServer('forwardInfo').info() };
    return { mode: 'reference', ring: this.ownRefSender('forwardInfo').info() };
  }

  /** Backend: this client's data ring, for downstream consumers (`DataRingClient.open(info)`). */
  dataRingInfo(): DataRingInfo {
    return this.ownDataServer('dataRingInfo').info();
  }

  /** @deprecated The Valkka name of {@link frameRingInfo}; kept so existing code runs. */
  getRGB24ServerPars(): FrameRingInfo {
    return this.frameRingInfo();
  }

  /** @deprecated The Valkka name of {@link dataRingInfo}; kept so existing code runs. */
  getDataShmemPars(): DataRingInfo {
    return this.dataRingInfo();
  }

  /**
   * Backend: forwards a frame to the master. Copying (forward: { width, height }): the pixels, or a Frame's pixels
   * with its frameNumber and timestamp, go into the forward ring. By reference: pass the Frame from handleFrame;
   * the master takes it where it lies, with the frame's own meta. Returns a seq, or null when every forward slot was
   * held (the master is behind): the frame was not forwarded.
   */
  forwardFrame(frame: Frame | Uint8Array, meta?: WriteMeta): number | null {
    if (this.forwardHolds) {
      if (!(frame instanceof Frame)) {
        throw new ProcessError(
          'INVALID_ARGUMENT',
          `forwardFrame: client '${this.name}' forwards by reference, so it takes the Frame from handleFrame, ` +
            `not pixels; forward: { width, height } copies pixels instead`,
        );
      }
      if (meta !== undefined) {
        throw new ProcessError(
          'INVALID_ARGUMENT',
          `forwardFrame: client '${this.name}' forwards by reference: the master gets the frame's own meta, so ` +
            `pass no meta (to send other values, copy: forward: { width, height })`,
        );
      }
      return this.ownRefSender('forwardFrame').send(frame);
    }
    const server = this.ownFrameServer('forwardFrame');
    if (!(frame instanceof Frame)) return server.write(frame, meta);
    const { frameNumber, timestampUs, slotId } = frame.meta;
    return server.write(frame.pixels, meta ?? { frameNumber, timestampUs, slotId });
  }

  /** Backend: a free slot of the forward ring to fill in place (e.g. downscale straight into it); commit() it. */
  protected lendForwardSlot(): LentSlot | null {
    return this.ownFrameServer('lendForwardSlot').lend();
  }

  /** Backend: sends a value to this client's downstream consumers. Returns its seq, or null when no slot was free. */
  publishData(value: unknown): number | null {
    return this.ownDataServer('publishData').send(value);
  }

  /** Backend: starts listening to a data ring (usually a master's reply ring); each value goes to handleMessage. */
  async listenToDataRing(ring: DataRingInfo | string, options: { waitMs?: number } = {}): Promise<void> {
    this.assertBackend('listenToDataRing');
    if (this.replyReader) {
      throw new ProcessError(
        'ALREADY_REGISTERED',
        `process '${this.name}' already listens to data ring '${this.replyReader.name}'; ` +
          `call stopListeningToDataRing() first`,
      );
    }
    const reader = options.waitMs
      ? await DataRingClient.waitFor(ring, { policy: 'every', timeoutMs: options.waitMs })
      : DataRingClient.open(ring, { policy: 'every' });
    const current = this.replyReader as DataRingClient | null; // may have changed while we waited
    if (current) {
      reader.close();
      throw new ProcessError(
        'ALREADY_REGISTERED',
        `process '${this.name}' already listens to data ring '${current.name}'`,
      );
    }
    this.replyReader = reader;
    reader.on('gone', (err: Error) => void this.replyRingGone(reader, err.message));
    reader.onMessage(async (value, meta) => {
      try {
        await this.handleMessage(value, meta);
        this.messageCounts.handled++;
      } catch (err) {
        this.messageCounts.errors++;
        this.messageCounts.lastError = err instanceof Error ? err.message : String(err);
        if (this.messageCounts.errors === 1)
          console.error(`framering process '${this.name}': handleMessage failed:`, err);
      }
    });
  }

  /** Backend: stops listening to the data ring of listenToDataRing(). Returns false when it was not listening. */
  stopListeningToDataRing(): boolean {
    this.assertBackend('stopListeningToDataRing');
    return this.closeReplyReader();
  }

  /** @deprecated The Valkka name of {@link listenToDataRing}; kept so existing code runs. */
  async listenDataServer(pars: DataRingInfo | string, options: { waitMs?: number } = {}): Promise<void> {
    return this.listenToDataRing(pars, options);
  }

  /** @deprecated The Valkka name of {@link stopListeningToDataRing}; kept so existing code runs. */
  dropDataServer(): boolean {
    return this.stopListeningToDataRing();
  }

  override getStats(): ClientProcessStats {
    const base = super.getStats();
    const { handled, errors, lastError } = this.messageCounts;
    const messages: ClientProcessStats['messages'] = { handled, errors, listening: this.replyReader?.name ?? null };
    if (lastError !== undefined) messages.lastError = lastError;
    const forward: ClientProcessStats['forward'] = this.forwardHolds
      ? { ...this.ownRefSender('getStats').stats(), mode: 'reference' }
      : { ...this.ownFrameServer('getStats').stats(), mode: 'copy' };
    return { ...base, forward, messages };
  }

  private closeReplyReader(): boolean {
    const reader = this.replyReader;
    if (!reader) return false;
    this.replyReader = null;
    reader.close();
    return true;
  }

  private async replyRingGone(reader: DataRingClient, reason: string): Promise<void> {
    if (this.replyReader !== reader) return; // dropped meanwhile
    this.closeReplyReader();
    sendEventToFrontend('master-gone', { ring: reader.name, reason } satisfies MasterGoneEvent);
    try {
      await this.handleMasterGone(reason);
    } catch (err) {
      console.error(`framering process '${this.name}': handleMasterGone failed:`, err);
    }
  }

  private ownFrameServer(what: string): FrameRingServer {
    this.assertBackend(what);
    if (!this.forwardGeometry) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `${what}: client '${this.name}' forwards by reference and has no forward ring; ` +
          `forward: { width, height } gives it one`,
      );
    }
    if (!this.frameServer)
      throw new ProcessError('STOPPED', `${what}: the forward ring of process '${this.name}' is closed`);
    return this.frameServer;
  }

  private ownRefSender(what: string): FrameRefSender {
    this.assertBackend(what);
    if (!this.refSender)
      throw new ProcessError('STOPPED', `${what}: the reference ring of process '${this.name}' is closed`);
    return this.refSender;
  }

  private ownDataServer(what: string): DataRingServer {
    this.assertBackend(what);
    if (!this.dataServer)
      throw new ProcessError('STOPPED', `${what}: the data ring of process '${this.name}' is closed`);
    return this.dataServer;
  }
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}
