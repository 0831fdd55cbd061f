/** Reads frames (rgb24, bgr24 or gray8) from a FrameRingServer in any process, zero-copy. */
import type { AsyncSlots } from './async_slots.js';
import { Frame, invalidateFrame } from './frame.js';
import type { FrameRef } from './frame_ref.js';
import { RingError } from './ring_error.js';
import type { FrameRingInfo } from './frame_ring_server.js';
import {
  RingClient,
  type IterateOptions,
  type OpenOptions,
  type PullOptions,
  type TakenSlot,
  type WaitOptions,
} from './ring_client.js';
import { BYTES_PER_PIXEL, isPixelFormat, type PixelFormat } from './pixel_format.js';

export type FrameHandler = (frame: Frame) => void | Promise<void>;

/** Runs a frame handler; the frame is released when it settles (or throws), unless it retained the frame. */
export function handFrame(frame: Frame, handler: FrameHandler): void | Promise<void> {
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
}

function nameOf(nameOrInfo: string | FrameRingInfo): string {
  return typeof nameOrInfo === 'string' ? nameOrInfo : nameOrInfo?.name;
}

export class FrameRingClient extends RingClient {
  readonly width: number;
  readonly height: number;
  /** The ring's pixel format, known from its header before the first frame. */
  readonly pixelFormat: PixelFormat;
  readonly bytesPerPixel: number;
  /** Frames handed out and not released: close() invalidates them, since their slots are no longer held. */
  private readonly outstanding = new Set<Frame>();

  private constructor(name: string, opts?: OpenOptions) {
    super(name, RingClient.policyOf(opts, 'latest'), opts);
    this.width = this.layout.width;
    this.height = this.layout.height;
    const format = this.layout.format;
    this.pixelFormat = isPixelFormat(format) ? format : 'rgb24'; // a data ring is refused by checkKind() right after
    this.bytesPerPixel = BYTES_PER_PIXEL[this.pixelFormat];
  }

  /** Attaches to a ring that exists now (RING_NOT_FOUND otherwise). Default policy: latest. */
  static open(nameOrInfo: string | FrameRingInfo, opts?: OpenOptions): FrameRingClient {
    const client = new FrameRingClient(nameOf(nameOrInfo), opts);
    try {
      client.checkKind(nameOrInfo);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Attaches, waiting up to timeoutMs for the ring to be created; `signal` ends the wait with ABORTED. */
  static waitFor(nameOrInfo: string | FrameRingInfo, opts?: WaitOptions): Promise<FrameRingClient> {
    return RingClient.openWhenReady(() => FrameRingClient.open(nameOrInfo, opts), nameOf(nameOrInfo), opts);
  }

  /**
   * Delivers frames to handler, one at a time, from a native waiter thread: the next frame comes after the handler
   * (and its promise) settles, and the frame is released then unless the handler retained it.
   */
  onFrame(handler: FrameHandler): void {
    this.deliver((native) => handFrame(this.frameOf(native), handler));
  }

  /**
   * The frame a reference names (Frame.ref() in another process), taken in place without a copy, or null when its
   * slot no longer holds it (overwritten). The caller releases it. A reference to another ring, or to an earlier ring
   * of the same name, is INVALID_ARGUMENT, and so is a client that also reads with onFrame or a loop: open another.
   */
  takeRef(ref: FrameRef): Frame | null {
    if (ref.ring !== this.name || ref.createdUs !== this.createdUs)
      throw new RingError(
        'INVALID_ARGUMENT',
        `takeRef: the reference names ring '${ref.ring}' made at ${ref.createdUs}, ` +
          `but this client reads '${this.name}' made at ${this.createdUs}`,
      );
    const slot = this.takeSlot(ref.index, ref.seq);
    return slot ? this.frameOf(slot) : null;
  }

  /** Blocks this thread up to timeoutMs for the next frame; null on timeout. The caller releases it. */
  pull(timeoutMs: number): Frame | null {
    const native = this.pullSlot(timeoutMs);
    return native ? this.frameOf(native) : null;
  }

  /**
   * The frames, as a loop: `for await (const frame of client.frames({ signal }))`. Each frame is released when the
   * loop moves on, breaks, throws or returns, unless retained. Frames come through the same wakeup as onFrame (no
   * polling), and the next is taken only when the loop asks for it. The loop ends when the writer closes the ring or
   * this client closes; it throws WRITER_GONE when the writer died, and ABORTED when `signal` fires. One loop (or
   * pullAsync) at a time; a client read by onFrame cannot be looped over (INVALID_ARGUMENT), nor pulled with pull().
   * Like onFrame, reading this way keeps the process alive until the client is closed (`using` does it).
   */
  frames(opts: IterateOptions = {}): AsyncIterableIterator<Frame> {
    return this.frameLoop(this.asyncSlots(), opts.signal);
  }

  /**
   * The next frame without blocking the event loop: null after timeoutMs (if given), ABORTED when `signal` fires,
   * WRITER_GONE when the writer closed or died, CLOSED when this client closed meanwhile. The caller releases it.
   */
  async pullAsync(opts: PullOptions = {}): Promise<Frame | null> {
    return this.pullAsyncWith(opts, (slot) => this.frameOf(slot));
  }

  private async *frameLoop(slots: AsyncSlots, signal?: AbortSignal): AsyncGenerator<Frame, void, undefined> {
    let current: Frame | null = null;
    try {
      for (;;) {
        const step = await slots.take({ signal });
        if (step === 'end' || step === null) return;
        current = this.frameOf(step);
        yield current;
        const done = current;
        current = null;
        if (!done.isRetained) done.release();
      }
    } finally {
      if (current && !current.isRetained) current.release();
    }
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
    for (const frame of this.outstanding) invalidateFrame(frame);
    this.outstanding.clear();
    super.close();
  }

  private checkKind(nameOrInfo: string | FrameRingInfo): void {
    if (!isPixelFormat(this.layout.format))
      throw new RingError('RING_INVALID', `ring '${this.name}' carries data messages, not frames; use DataRingClient`);
    if (typeof nameOrInfo === 'object') {
      const p = nameOrInfo;
      if (p.pixelFormat !== undefined && p.pixelFormat !== this.layout.format)
        throw new RingError(
          'RING_INVALID',
          `ring '${this.name}' holds ${this.layout.format} frames but ${p.pixelFormat} were expected ` +
            '(the ring was recreated with another pixel format; fetch its info again)',
        );
      if (p.width !== this.layout.width || p.height !== this.layout.height)
        throw new RingError(
          'RING_INVALID',
          `ring '${this.name}' holds ${this.layout.width}x${this.layout.height} frames ` +
            `but ${p.width}x${p.height} were expected ` +
            '(the ring was recreated with another size; fetch its info() again)',
        );
    }
  }
}
