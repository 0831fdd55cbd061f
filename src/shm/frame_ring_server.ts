/** The writer of RGB24 frames: one POSIX shm segment of `slots` frames of width × height × 3 bytes. */
import { closeOnExit, forgetOnExit } from './exit_cleanup.js';
import { FrameringError, native } from './framering_error.js';
import { addon, type NativeRingServer } from './native_addon.js';
import { fileMode, MAX_DIMENSION, MAX_SLOTS, ringName, wholeNumber } from './options.js';
import type { ReadPolicy } from './options.js';

/** Plain description of a frame ring, safe to send to another process. */
export interface FrameRingPars {
  name: string;
  width: number;
  height: number;
  slots: number;
}

export interface FrameRingServerOptions {
  name: string;
  width: number;
  height: number;
  /** Frames in the ring (default 8). More slots absorb slower readers at the cost of /dev/shm. */
  slots?: number;
  /** Lossless: the writer waits (up to blockingTimeoutMs) for `every` readers instead of overwriting. */
  blocking?: boolean;
  blockingTimeoutMs?: number;
  /** File mode of the segment (default 0o600; 0o660 to share with a group). */
  mode?: number;
}

export interface WriteMeta {
  slotId?: number;
  timestampUs?: number;
  frameNumber?: number;
}

export interface RingServerStats {
  written: number;
  writerDrops: number;
  readers: Array<{ pid: number; policy: ReadPolicy; delivered: number; dropped: number; held: number }>;
}

/** A slot lent to the writer: fill `view`, then commit() or abandon(). */
export interface LentSlot {
  readonly index: number;
  readonly view: Uint8Array;
  commit(meta?: WriteMeta, bytes?: number): number;
  abandon(): void;
}

export class FrameRingServer {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly slots: number;
  readonly frameBytes: number;
  /** @internal The native writer, for RingPump. */
  readonly nativeServer: NativeRingServer;
  private readonly slotViews: Uint8Array[];
  private closed = false;
  private readonly exitHook = { closeForExit: () => this.close() };

  constructor(opts: FrameRingServerOptions) {
    if (!opts || typeof opts !== 'object') throw new FrameringError('INVALID_ARGUMENT', 'FrameRingServer needs { name, width, height }');
    this.name = ringName(opts.name);
    this.width = wholeNumber('width', opts.width, 1, MAX_DIMENSION);
    this.height = wholeNumber('height', opts.height, 1, MAX_DIMENSION);
    this.slots = wholeNumber('slots', opts.slots ?? 8, 2, MAX_SLOTS);
    this.frameBytes = this.width * this.height * 3;
    const blockingTimeoutMs = wholeNumber('blockingTimeoutMs', opts.blockingTimeoutMs ?? 1000, 0, 3_600_000);
    const mode = fileMode(opts.mode);
    this.nativeServer = native(
      () =>
        new addon.RingServer({
          name: this.name,
          slots: this.slots,
          slotBytes: this.frameBytes,
          width: this.width,
          height: this.height,
          format: 'rgb24',
          blocking: !!opts.blocking,
          blockingTimeoutMs,
          mode,
        }),
    );
    closeOnExit(this.exitHook);
    const layout = this.nativeServer.layout();
    const buffer = this.nativeServer.buffer();
    this.slotViews = Array.from(
      { length: this.slots },
      (_, i) => new Uint8Array(buffer, layout.payloadOffset + i * layout.slotStride, this.frameBytes),
    );
  }

  pars(): FrameRingPars {
    return { name: this.name, width: this.width, height: this.height, slots: this.slots };
  }

  /** Copies one frame into the next free slot. Returns its seq, or null when every slot is held (counted). */
  write(pixels: Uint8Array, meta?: WriteMeta): number | null {
    this.checkOpen();
    if (!(pixels instanceof Uint8Array))
      throw new FrameringError('INVALID_ARGUMENT', `write() takes a Uint8Array of ${this.frameBytes} bytes`);
    if (pixels.byteLength !== this.frameBytes)
      throw new FrameringError(
        'INVALID_ARGUMENT',
        `frame of ${pixels.byteLength} bytes does not match ring '${this.name}' (${this.width}x${this.height} RGB24 = ${this.frameBytes} bytes); nothing was written`,
      );
    const seq = native(() => this.nativeServer.write(pixels, meta));
    return seq < 0 ? null : seq;
  }

  /** Lends a free slot to fill in place (zero-copy writers). Null when none is free. */
  lend(): LentSlot | null {
    this.checkOpen();
    const index = this.nativeServer.lend();
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

  stats(): RingServerStats {
    this.checkOpen();
    return this.nativeServer.stats();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops pumps, tells readers the ring is closed, unlinks the segment. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    forgetOnExit(this.exitHook);
    this.nativeServer.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new FrameringError('CLOSED', `ring '${this.name}' is closed`);
  }
}
