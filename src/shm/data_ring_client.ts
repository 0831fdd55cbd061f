/** Reads the values a DataRingServer sends, in order by default (policy 'every'). */
import { deserialize } from 'node:v8';
import { RingError } from './ring_error.js';
import type { DataRingPars } from './data_ring_server.js';
import { RingReader, type OpenOptions, type TakenSlot, type WaitOptions } from './ring_reader.js';
import type { SlotMeta } from './slot_meta.js';

export type MessageHandler = (value: unknown, meta: SlotMeta) => void | Promise<void>;

function nameOf(nameOrPars: string | DataRingPars): string {
  return typeof nameOrPars === 'string' ? nameOrPars : nameOrPars?.name;
}

export class DataRingClient extends RingReader {
  private constructor(name: string, opts?: OpenOptions) {
    super(name, RingReader.policyOf(opts, 'every'), opts);
  }

  static open(nameOrPars: string | DataRingPars, opts?: OpenOptions): DataRingClient {
    const client = new DataRingClient(nameOf(nameOrPars), opts);
    if (client.layout.format !== 'data') {
      client.close();
      throw new RingError('RING_INVALID', `ring '${client.name}' carries RGB24 frames, not data messages; use FrameRingClient`);
    }
    return client;
  }

  static waitFor(nameOrPars: string | DataRingPars, opts?: WaitOptions): Promise<DataRingClient> {
    return RingReader.openWhenReady(() => DataRingClient.open(nameOrPars, opts), nameOf(nameOrPars), opts?.timeoutMs);
  }

  /** Delivers each message, decoded, one at a time. The slot is released as soon as the value is decoded. */
  onMessage(handler: MessageHandler): void {
    this.deliver((native) => {
      const { value, meta } = this.take(native);
      return handler(value, meta);
    });
  }

  pull(timeoutMs: number): { value: unknown; meta: SlotMeta } | null {
    const native = this.pullSlot(timeoutMs);
    return native ? this.take(native) : null;
  }

  private take(slot: TakenSlot): { value: unknown; meta: SlotMeta } {
    try {
      return { value: deserialize(this.view(slot)), meta: slot.meta };
    } finally {
      this.release(slot.index);
    }
  }
}
