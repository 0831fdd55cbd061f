/** Reads RGB24 frames from a FrameRingServer in any process, zero-copy. */
import { Frame } from './frame.js';
import { RingError } from './ring_error.js';
import type { FrameRingPars } from './frame_ring_server.js';
import { RingReader, type OpenOptions, type TakenSlot, type WaitOptions } from './ring_reader.js';

export type FrameHandler = (frame: Frame) => void | Promise<void>;

function nameOf(nameOrPars: string | FrameRingPars): string {
  return typeof nameOrPars === 'string' ? nameOrPars : nameOrPars?.name;
}

export class FrameRingClient extends RingReader {
  readonly width: number;
  readonly height: number;
  /** Frames handed out and not released: close() invalidates them, since their slots are no longer held. */
  private readonly outstanding = new Set<Frame>();

  private constructor(name: string, opts?: OpenOptions) {
    super(name, RingReader.policyOf(opts, 'latest'), opts);
    this.width = this.layout.width;
    this.height = this.layout.height;
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
    const frame = new Frame(this, slot.index, this.view(slot), slot.meta, slot.droppedBefore);
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
    if (this.layout.format !== 'rgb24')
      throw new RingError('RING_INVALID', `ring '${this.name}' carries data messages, not RGB24 frames; use DataRingClient`);
    if (typeof nameOrPars === 'object') {
      const p = nameOrPars;
      if (p.width !== this.layout.width || p.height !== this.layout.height)
        throw new RingError(
          'RING_INVALID',
          `ring '${this.name}' holds ${this.layout.width}x${this.layout.height} frames but ${p.width}x${p.height} were expected ` +
            '(the ring was recreated with another size; fetch its pars again)',
        );
    }
  }
}
