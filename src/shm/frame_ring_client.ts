/** Reads frames (rgb24, bgr24 or gray8) from a FrameRingServer in any process, zero-copy. */
import { Frame } from './frame.js';
import { FrameringError } from './framering_error.js';
import type { FrameRingPars } from './frame_ring_server.js';
import { BYTES_PER_PIXEL, isPixelFormat, type PixelFormat } from './pixel_format.js';
import { RingReader, type OpenOptions, type TakenSlot, type WaitOptions } from './ring_reader.js';

export type FrameHandler = (frame: Frame) => void | Promise<void>;

function nameOf(nameOrPars: string | FrameRingPars): string {
  return typeof nameOrPars === 'string' ? nameOrPars : nameOrPars?.name;
}

export class FrameRingClient extends RingReader {
  readonly width: number;
  readonly height: number;
  /** The ring's pixel format, known from its header before the first frame. */
  readonly pixelFormat: PixelFormat;
  readonly bytesPerPixel: number;
  /** Frames handed out and not released: close() invalidates them, since their slots are no longer held. */
  private readonly outstanding = new Set<Frame>();

  private constructor(name: string, opts?: OpenOptions) {
    super(name, RingReader.policyOf(opts, 'latest'), opts);
    this.width = this.layout.width;
    this.height = this.layout.height;
    const format = this.layout.format;
    this.pixelFormat = isPixelFormat(format) ? format : 'rgb24'; // a data ring is refused by checkKind() right after
    this.bytesPerPixel = BYTES_PER_PIXEL[this.pixelFormat];
  }

  /** Attaches to a ring that exists now (RING_NOT_FOUND otherwise). Default policy: latest. */
  static open(nameOrPars: string | FrameRingPars, opts?: OpenOptions): FrameRingClient {
    const client = new FrameRingClient(nameOf(nameOrPars), opts);
    try {
      client.checkKind(nameOrPars);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Attaches, waiting up to timeoutMs for the ring to be created. */
  static waitFor(nameOrPars: string | FrameRingPars, opts?: WaitOptions): Promise<FrameRingClient> {
    return RingReader.openWhenReady(() => FrameRingClient.open(nameOrPars, opts), nameOf(nameOrPars), opts?.timeoutMs);
  }

  /**
   * Delivers frames to handler, one at a time, from a native waiter thread: the next frame comes after the handler
   * (and its promise) settles, and the frame is released then unless the handler retained it.
   */
  onFrame(handler: FrameHandler): void {
    this.deliver((native) => {
      const frame = this.frameOf(native);
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
      if (result && typeof (result as Promise<void>).then === 'function') return (result as Promise<void>).finally(settle);
      settle();
    });
  }

  /** Blocks this thread up to timeoutMs for the next frame; null on timeout. The caller releases it. */
  pull(timeoutMs: number): Frame | null {
    const native = this.pullSlot(timeoutMs);
    return native ? this.frameOf(native) : null;
  }

  get dropped(): number {
    return this.stats().dropped;
  }

  get delivered(): number {
    return this.stats().delivered;
  }

  private frameOf(slot: TakenSlot): Frame {
    const frame = new Frame(this, slot.index, this.view(slot), slot.meta, slot.droppedBefore, this.pixelFormat);
    this.outstanding.add(frame);
    return frame;
  }

  override release(index: number, frame?: Frame): void {
    if (frame) this.outstanding.delete(frame);
    super.release(index);
  }

  override close(): void {
    for (const frame of this.outstanding) frame.invalidate();
    this.outstanding.clear();
    super.close();
  }

  private checkKind(nameOrPars: string | FrameRingPars): void {
    if (!isPixelFormat(this.layout.format))
      throw new FrameringError('RING_INVALID', `ring '${this.name}' carries data messages, not frames; use DataRingClient`);
    if (typeof nameOrPars === 'object') {
      const p = nameOrPars;
      if (p.pixelFormat !== undefined && p.pixelFormat !== this.layout.format)
        throw new FrameringError(
          'RING_INVALID',
          `ring '${this.name}' holds ${this.layout.format} frames but ${p.pixelFormat} were expected ` +
            '(the ring was recreated with another pixel format; fetch its pars again)',
        );
      if (p.width !== this.layout.width || p.height !== this.layout.height)
        throw new FrameringError(
          'RING_INVALID',
          `ring '${this.name}' holds ${this.layout.width}x${this.layout.height} frames but ${p.width}x${p.height} were expected ` +
            '(the ring was recreated with another size; fetch its pars again)',
        );
    }
  }
}
