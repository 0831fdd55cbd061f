// The most recent events, for outlets that join late (a dashboard opened now shows what just happened). Bounded:
// a fixed array used as a ring, so a busy service never grows it.

import type { FrameringEvent } from './service_view.js';

export class EventBuffer {
  private readonly items: Array<FrameringEvent | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a whole number ≥ 1, got ${capacity}`);
    this.items = new Array(capacity);
  }

  push(event: FrameringEvent): void {
    this.items[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Up to `limit` of the newest events, oldest first. */
  recent(limit: number): FrameringEvent[] {
    const n = Math.max(0, Math.min(Math.floor(limit) || 0, this.count));
    const out: FrameringEvent[] = [];
    for (let i = n; i > 0; i--) out.push(this.items[(this.next - i + this.capacity) % this.capacity]!);
    return out;
  }

  get size(): number {
    return this.count;
  }
}
