/** One frame lent to a reader: a zero-copy view into its ring slot, held until released. */
import { RingError } from './ring_error.js';
import { BYTES_PER_PIXEL, type PixelFormat } from './pixel_format.js';
import type { FrameRef } from './frame_ref.js';
import type { SlotMeta } from './slot_meta.js';

export interface SlotOwner {
  readonly name: string;
  /** The ring's creation time: with its name, the ring's identity in a FrameRef. */
  readonly createdUs: number;
  /** The ring's slots: how many holds a sender may keep in it (FrameRefSender). */
  readonly slotCount: number;
  release(index: number, frame: Frame): void;
}

/**
 * Marks a frame released without giving its slot back (internal.ts): its reader closed, so its holds are gone and
 * the view must no longer be trusted. A function, not a method, to keep it off the public surface.
 */
export let invalidateFrame: (frame: Frame) => void;

/**
 * Framework holds on a frame besides its user's (internal.ts): a FrameRefSender pins the frames it passed on, so
 * that the slot stays while the receiver may still come, whatever the user's own retain()/release() do. The slot goes
 * back when the user released it (or never retained it past the handler) and the last pin is gone.
 */
export let pinFrame: (frame: Frame) => void;
export let unpinFrame: (frame: Frame) => void;
/** The frame's ring (its name and slot count: a sender keeps fewer holds in it than it has slots). */
export let ringOfFrame: (frame: Frame) => SlotOwner;

export class Frame {
  readonly meta: SlotMeta;
  /** Frames this reader missed just before this one (lapped `every` reader, or skipped by `latest`). */
  readonly droppedBefore: number;
  /** How `pixels` is laid out: 'rgb24', 'bgr24' or 'gray8' (the ring's format). */
  readonly format: PixelFormat;
  private readonly view: Uint8Array;
  private readonly index: number;
  private readonly owner: SlotOwner;
  private retained = false;
  private released = false;
  private pins = 0;
  private slotGivenBack = false;

  constructor(
    owner: SlotOwner,
    index: number,
    view: Uint8Array,
    meta: SlotMeta,
    droppedBefore: number,
    format: PixelFormat = 'rgb24',
  ) {
    this.owner = owner;
    this.format = format;
    this.index = index;
    this.view = view;
    this.meta = meta;
    this.droppedBefore = droppedBefore;
  }

  /** Bytes per pixel of `format`: 3 for rgb24 and bgr24, 1 for gray8. */
  get bytesPerPixel(): number {
    return BYTES_PER_PIXEL[this.format];
  }

  /**
   * The pixels, row-major in `format` (RGB24 unless the ring says otherwise), in the slot itself. Valid until
   * release().
   */
  get pixels(): Uint8Array {
    if (this.released)
      throw new RingError(
        'CLOSED',
        `frame ${this.meta.seq} of ring '${this.owner.name}' was released (or its reader closed); copy() what you keep`,
      );
    return this.view;
  }

  /** Keeps the frame past its handler; the writer then skips its slot until release(). */
  retain(): this {
    this.retained = true;
    return this;
  }

  get isRetained(): boolean {
    return this.retained;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /**
   * Where this frame lies (ring, slot, seq), for another process to take it there without a copy
   * (FrameRingClient.takeRef). Only good while some reader holds the frame: retain() it until the other side took it.
   */
  ref(): FrameRef {
    return { ring: this.owner.name, createdUs: this.owner.createdUs, index: this.index, seq: this.meta.seq };
  }

  /** Gives the slot back to the writer (unless the framework still pins it for a receiver). Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.giveBackIfFree();
  }

  private giveBackIfFree(): void {
    if (this.pins > 0 || this.slotGivenBack) return;
    this.slotGivenBack = true;
    this.owner.release(this.index, this);
  }

  static {
    invalidateFrame = (frame) => {
      frame.released = true;
      frame.slotGivenBack = true; // its reader closed: no hold left to give back
    };
    pinFrame = (frame) => {
      frame.pins++;
    };
    ringOfFrame = (frame) => frame.owner;
    unpinFrame = (frame) => {
      if (frame.pins === 0) return;
      frame.pins--;
      if (frame.released) frame.giveBackIfFree();
    };
  }

  /** The bytes in a fresh buffer of their own, to keep after release(). */
  copy(): Uint8Array {
    return this.pixels.slice();
  }
}
