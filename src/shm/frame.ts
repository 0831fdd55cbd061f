/** One frame lent to a reader: a zero-copy view into its ring slot, held until released. */
import { RingError } from './ring_error.js';
import type { SlotMeta } from './slot_meta.js';

export interface SlotOwner {
  readonly name: string;
  release(index: number, frame: Frame): void;
}

/**
 * Marks a frame released without giving its slot back (internal.ts): its reader closed, so its holds are gone and
 * the view must no longer be trusted. A function, not a method, to keep it off the public surface.
 */
export let invalidateFrame: (frame: Frame) => void;

export class Frame {
  readonly meta: SlotMeta;
  /** Frames this reader missed just before this one (lapped `every` reader, or skipped by `latest`). */
  readonly droppedBefore: number;
  private readonly view: Uint8Array;
  private readonly index: number;
  private readonly owner: SlotOwner;
  private retained = false;
  private released = false;

  constructor(owner: SlotOwner, index: number, view: Uint8Array, meta: SlotMeta, droppedBefore: number) {
    this.owner = owner;
    this.index = index;
    this.view = view;
    this.meta = meta;
    this.droppedBefore = droppedBefore;
  }

  /** The pixels, row-major RGB24, in the slot itself. Valid until release(). */
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

  /** Gives the slot back to the writer. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.release(this.index, this);
  }

  static {
    invalidateFrame = (frame) => {
      frame.released = true;
    };
  }

  /** The bytes in a fresh buffer of their own, to keep after release(). */
  copy(): Uint8Array {
    return this.pixels.slice();
  }
}
