// ClientProcess: an RGB24Process that does light per-camera work and forwards frames to a shared MasterProcess.
// Its backend owns two rings: a frame ring (frames it forwards to the master) and a data ring (results for
// downstream consumers). It listens to one data ring of the master's, where the master's replies arrive, and hands
// each reply to handleMessage(value).

import {
  DataRingClient,
  DataRingServer,
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

export interface ClientProcessOptions extends MessageProcessOptions {
  /** Geometry of the frames this client forwards to a master (often smaller than the camera's). */
  forward: { width: number; height: number; slots?: number };
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
  forward: RingServerStats;
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
  private readonly forwardGeometry: { width: number; height: number; slots: number };
  private frameServer: FrameRingServer | null = null;
  private dataServer: DataRingServer | null = null;
  private replyReader: DataRingClient | null = null;
  private readonly messageCounts = { handled: 0, errors: 0, lastError: undefined as string | undefined };

  constructor(options: ClientProcessOptions) {
    super(options);
    const f = options?.forward;
    if (
      !f ||
      !isPositiveInt(f.width) ||
      !isPositiveInt(f.height) ||
      (f.slots !== undefined && !isPositiveInt(f.slots))
    ) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `ClientProcess '${this.name}' needs forward: { width, height, slots? } ` +
          `(positive whole numbers): the geometry of the frames it forwards to its master`,
      );
    }
    this.forwardGeometry = { width: f.width, height: f.height, slots: f.slots ?? 4 };
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
    this.frameServer = new FrameRingServer({ name: `${base}-fwd`, ...this.forwardGeometry });
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
    this.dataServer?.close();
  }

  /** Backend: the frame ring this client forwards into (name and geometry: what a master attaches to). */
  frameRingInfo(): FrameRingInfo {
    return this.ownFrameServer('frameRingInfo').info();
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

  /** Backend: copies a frame into the forward ring. Returns its seq, or null when every slot was held. */
  forwardFrame(pixels: Uint8Array, meta?: WriteMeta): number | null {
    return this.ownFrameServer('forwardFrame').write(pixels, meta);
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
    return { ...base, forward: this.ownFrameServer('getStats').stats(), messages };
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
    if (!this.frameServer)
      throw new ProcessError('STOPPED', `${what}: the forward ring of process '${this.name}' is closed`);
    return this.frameServer;
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
