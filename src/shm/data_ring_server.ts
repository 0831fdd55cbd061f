/** The writer of a data ring: structured-clone serialised JS values (typed arrays included) up to maxMessageBytes. */
import { serialize } from 'node:v8';
import { RingError, native } from './ring_error.js';
import { wholeNumber } from './options.js';
import type { WriteMeta } from './frame_ring_server.js';
import { RingServer, type AsyncWriteOptions, type RingServerOptions } from './ring_server.js';

/** Plain description of a data ring, safe to send to another process (DataRingClient.open takes it). */
export interface DataRingInfo {
  name: string;
  slots: number;
  maxMessageBytes: number;
}

/** @deprecated Renamed DataRingInfo (Valkka called it "pars"). */
export type DataRingPars = DataRingInfo;

export interface DataRingServerOptions extends RingServerOptions {
  /** Messages the ring holds (default 16). */
  slots?: number;
  /** Largest serialised message (default 1 MiB). A larger one is an error, never truncated. */
  maxMessageBytes?: number;
}

export class DataRingServer extends RingServer {
  readonly maxMessageBytes: number;

  constructor(opts: DataRingServerOptions) {
    if (!opts || typeof opts !== 'object') throw new RingError('INVALID_ARGUMENT', 'DataRingServer needs { name }');
    const maxMessageBytes = wholeNumber('maxMessageBytes', opts.maxMessageBytes ?? 1 << 20, 1, 1 << 30);
    super(opts, 16, { slotBytes: maxMessageBytes, format: 'data' });
    this.maxMessageBytes = maxMessageBytes;
  }

  /** What a client needs to open this ring, as plain data for another process. */
  info(): DataRingInfo {
    return { name: this.name, slots: this.slots, maxMessageBytes: this.maxMessageBytes };
  }

  /** @deprecated Renamed info() (Valkka's name, kept for its users). */
  pars(): DataRingInfo {
    return this.info();
  }

  /**
   * Sends a value to every reader. Returns its seq, or null when no slot was free (counted in stats). `meta` goes
   * to the readers' SlotMeta (a MasterProcess's reply carries the frameNumber and timestamp of the frame it answers).
   */
  send(value: unknown, meta?: WriteMeta): number | null {
    this.checkOpen();
    const seq = native(() => this.nativeServer.write(this.serialized(value), meta));
    return seq < 0 ? null : seq;
  }

  /** send() that waits for the readers of a blocking ring up to blockingTimeoutMs without holding the event loop. */
  async sendAsync(value: unknown, meta?: WriteMeta, opts?: AsyncWriteOptions): Promise<number | null> {
    this.checkOpen();
    return this.writeBytesAsync(this.serialized(value), meta, opts);
  }

  private serialized(value: unknown): Buffer {
    let bytes: Buffer;
    try {
      bytes = serialize(value);
    } catch (err) {
      throw new RingError(
        'INVALID_ARGUMENT',
        `cannot send this value through data ring '${this.name}': ${(err as Error).message}`,
      );
    }
    if (bytes.byteLength > this.maxMessageBytes)
      throw new RingError(
        'MESSAGE_TOO_LARGE',
        `message of ${bytes.byteLength} bytes (serialised) exceeds data ring '${this.name}' ` +
          `maximum of ${this.maxMessageBytes} bytes; ` +
          'nothing was sent (create the ring with a larger maxMessageBytes, or send less)',
      );
    return bytes;
  }
}
