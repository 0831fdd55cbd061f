// The messages waiting for the broker: bounded in count and in bytes, the oldest dropped first (and counted).
// A retained message stands for a state (motion ON/OFF, a count, availability): a newer one for the same topic
// replaces the one waiting, so an outage never replays stale states and states never crowd out each other.

export interface OutMessage {
  topic: string;
  payload: string | Buffer;
  retain: boolean;
  qos: 0 | 1;
}

export class MessageQueue {
  private items: OutMessage[] = [];
  private head = 0;
  private bytesHeld = 0;
  /** Messages dropped because the queue was full (oldest first). */
  dropped = 0;

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  push(message: OutMessage): void {
    if (message.retain) {
      const i = this.items.findIndex((m, k) => k >= this.head && m.retain && m.topic === message.topic);
      if (i >= 0) {
        this.bytesHeld -= sizeOf(this.items[i]!);
        this.items.splice(i, 1);
      }
    }
    this.items.push(message);
    this.bytesHeld += sizeOf(message);
    while (this.length > 0 && (this.length > this.maxMessages || this.bytesHeld > this.maxBytes)) {
      this.bytesHeld -= sizeOf(this.popOldest()!);
      this.dropped++;
    }
  }

  private popOldest(): OutMessage | undefined {
    if (this.head >= this.items.length) return undefined;
    const m = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as OutMessage;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return m;
  }

  /** The oldest message, out of the queue, its bytes released. */
  take(): OutMessage | undefined {
    const m = this.popOldest();
    if (m) this.bytesHeld -= sizeOf(m);
    return m;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytesHeld = 0;
  }
}

export function sizeOf(m: OutMessage): number {
  return m.topic.length + (typeof m.payload === 'string' ? Buffer.byteLength(m.payload) : m.payload.length);
}
