/** Reads the values a DataRingServer sends, in order by default (policy 'every'). */
import { deserialize } from 'node:v8';
import type { AsyncSlots } from './async_slots.js';
import { RingError } from './ring_error.js';
import type { DataRingInfo } from './data_ring_server.js';
import {
  RingClient,
  type IterateOptions,
  type OpenOptions,
  type PullOptions,
  type TakenSlot,
  type WaitOptions,
} from './ring_client.js';
import type { SlotMeta } from './slot_meta.js';

export type MessageHandler = (value: unknown, meta: SlotMeta) => void | Promise<void>;

/** One message, decoded: its slot is already given back. */
export interface DataMessage {
  value: unknown;
  meta: SlotMeta;
}

function nameOf(nameOrInfo: string | DataRingInfo): string {
  return typeof nameOrInfo === 'string' ? nameOrInfo : nameOrInfo?.name;
}

export class DataRingClient extends RingClient {
  protected constructor(name: string, opts?: OpenOptions) {
    super(name, RingClient.policyOf(opts, 'every'), opts);
  }

  static open(nameOrInfo: string | DataRingInfo, opts?: OpenOptions): DataRingClient {
    return DataRingClient.ofData(new DataRingClient(nameOf(nameOrInfo), opts));
  }

  /** The client if its ring carries data messages; closed, and RING_INVALID, if it carries frames. */
  protected static ofData<T extends DataRingClient>(client: T): T {
    if (client.layout.format !== 'data') {
      client.close();
      throw new RingError(
        'RING_INVALID',
        `ring '${client.name}' carries ${client.layout.format} frames, not data messages; use FrameRingClient`,
      );
    }
    return client;
  }

  /** Attaches, waiting up to timeoutMs for the ring to be created; `signal` ends the wait with ABORTED. */
  static waitFor(nameOrInfo: string | DataRingInfo, opts?: WaitOptions): Promise<DataRingClient> {
    return RingClient.openWhenReady(() => DataRingClient.open(nameOrInfo, opts), nameOf(nameOrInfo), opts);
  }

  /** Delivers each message, decoded, one at a time. The slot is released as soon as the value is decoded. */
  onMessage(handler: MessageHandler): void {
    this.deliver((native) => {
      const { value, meta } = this.take(native);
      return handler(value, meta);
    });
  }

  pull(timeoutMs: number): DataMessage | null {
    const native = this.pullSlot(timeoutMs);
    return native ? this.take(native) : null;
  }

  /**
   * The messages, as a loop: `for await (const { value, meta } of client.messages({ signal }))`. Each slot is given
   * back as soon as its value is decoded. Same rules as FrameRingClient.frames(): the loop ends when the writer closes
   * the ring or this client closes, throws WRITER_GONE when the writer died and ABORTED when `signal` fires, and a
   * client read by onMessage cannot be looped over (INVALID_ARGUMENT).
   */
  messages(opts: IterateOptions = {}): AsyncIterableIterator<DataMessage> {
    return this.messageLoop(this.asyncSlots(), opts.signal);
  }

  /**
   * The next message without blocking the event loop: null after timeoutMs (if given); see FrameRingClient.pullAsync.
   */
  async pullAsync(opts: PullOptions = {}): Promise<DataMessage | null> {
    return this.pullAsyncWith(opts, (slot) => this.take(slot));
  }

  private async *messageLoop(slots: AsyncSlots, signal?: AbortSignal): AsyncGenerator<DataMessage, void, undefined> {
    for (;;) {
      const step = await slots.take({ signal });
      if (step === 'end' || step === null) return;
      yield this.take(step);
    }
  }

  /** A message's value from its bytes: v8's structured clone; a reader of a ring of another encoding overrides it. */
  protected decode(bytes: Uint8Array): unknown {
    return deserialize(bytes);
  }

  private take(slot: TakenSlot): DataMessage {
    try {
      return { value: this.decode(this.view(slot)), meta: slot.meta };
    } finally {
      this.release(slot.index);
    }
  }
}
