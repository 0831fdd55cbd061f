/** The writer of frames: one POSIX shm segment of `slots` frames of width × height × bytes per pixel. */
import { RingError, native } from './ring_error.js';
import { MAX_DIMENSION, wholeNumber } from './options.js';
import { RingServer, type AsyncWriteOptions, type RingServerOptions } from './ring_server.js';
import { BYTES_PER_PIXEL, pixelFormat, type PixelFormat } from './pixel_format.js';

export type { RingServerStats } from './ring_server.js';

/** Plain description of a frame ring, safe to send to another process (FrameRingClient.open takes it). */
export interface FrameRingInfo {
  name: string;
  width: number;
  height: number;
  slots: number;
  /** How the pixels are laid out; absent means rgb24 (pars from before pixel formats). */
  pixelFormat?: PixelFormat;
}

/** @deprecated Renamed FrameRingInfo (Valkka called it "pars"). */
export type FrameRingPars = FrameRingInfo;

export interface FrameRingServerOptions extends RingServerOptions {
  width: number;
  height: number;
  /** Frames in the ring (default 8). More slots absorb slower readers at the cost of /dev/shm. */
  slots?: number;
  /** 'rgb24' (default), 'bgr24' or 'gray8'. */
  pixelFormat?: PixelFormat;
}

export interface WriteMeta {
  slotId?: number;
  timestampUs?: number;
  frameNumber?: number;
  /** The source's presentation time in µs; absent or null: unknown. */
  ptsUs?: number | null;
  /** How often the source restarted before this frame. */
  restarts?: number;
}

/** A slot lent to the writer: fill `view`, then commit() or abandon(). */
export interface LentSlot {
  readonly index: number;
  readonly view: Uint8Array;
  commit(meta?: WriteMeta, bytes?: number): number;
  abandon(): void;
}

export class FrameRingServer extends RingServer {
  readonly width: number;
  readonly height: number;
  readonly pixelFormat: PixelFormat;
  readonly bytesPerPixel: number;
  readonly frameBytes: number;
  private readonly slotViews: Uint8Array[];

  constructor(opts: FrameRingServerOptions) {
    if (!opts || typeof opts !== 'object')
      throw new RingError('INVALID_ARGUMENT', 'FrameRingServer needs { name, width, height }');
    const width = wholeNumber('width', opts.width, 1, MAX_DIMENSION);
    const height = wholeNumber('height', opts.height, 1, MAX_DIMENSION);
    const format = pixelFormat(opts.pixelFormat);
    const frameBytes = width * height * BYTES_PER_PIXEL[format];
    super(opts, 8, { slotBytes: frameBytes, width, height, format });
    this.width = width;
    this.height = height;
    this.pixelFormat = format;
    this.bytesPerPixel = BYTES_PER_PIXEL[format];
    this.frameBytes = frameBytes;
    const layout = this.nativeServer.layout();
    const buffer = this.nativeServer.buffer();
    // One view per slot, made once: lending a slot allocates no backing store.
    this.slotViews = Array.from(
      { length: this.slots },
      (_, i) => new Uint8Array(buffer, i * layout.slotStride, this.frameBytes),
    );
  }

  /** What a client needs to open this ring, as plain data for another process. */
  info(): FrameRingInfo {
    return {
      name: this.name,
      width: this.width,
      height: this.height,
      slots: this.slots,
      pixelFormat: this.pixelFormat,
    };
  }

  /** @deprecated Renamed info() (Valkka's name, kept for its users). */
  pars(): FrameRingInfo {
    return this.info();
  }

  /** Copies one frame into the next free slot. Returns its seq, or null when every slot is held (counted). */
  write(pixels: Uint8Array, meta?: WriteMeta): number | null {
    this.checkOpen();
    this.checkFrame(pixels);
    const seq = native(() => this.nativeServer.write(pixels, meta));
    return seq < 0 ? null : seq;
  }

  /** write() that waits for the readers of a blocking ring up to blockingTimeoutMs without holding the event loop. */
  async writeAsync(pixels: Uint8Array, meta?: WriteMeta, opts?: AsyncWriteOptions): Promise<number | null> {
    this.checkOpen();
    this.checkFrame(pixels);
    return this.writeBytesAsync(pixels, meta, opts);
  }

  private checkFrame(pixels: Uint8Array): void {
    if (!(pixels instanceof Uint8Array))
      throw new RingError('INVALID_ARGUMENT', `write() takes a Uint8Array of ${this.frameBytes} bytes`);
    if (pixels.byteLength !== this.frameBytes)
      throw new RingError(
        'INVALID_ARGUMENT',
        `frame of ${pixels.byteLength} bytes does not match ring '${this.name}' ` +
          `(${this.width}x${this.height} ${this.pixelFormat} = ${this.frameBytes} bytes); nothing was written`,
      );
  }

  /** Lends a free slot to fill in place (zero-copy writers). Null when none is free. */
  lend(): LentSlot | null {
    this.checkOpen();
    const index = native(() => this.nativeServer.lend());
    if (index < 0) return null;
    const server = this.nativeServer;
    const frameBytes = this.frameBytes;
    return {
      index,
      view: this.slotViews[index],
      commit: (meta?: WriteMeta, bytes = frameBytes) => native(() => server.commit(index, bytes, meta)),
      abandon: () => native(() => server.abandon(index)),
    };
  }
}
