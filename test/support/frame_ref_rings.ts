/**
 * What the tests of frames passed by reference share: fresh ring names, camera rings and their readers (closed after
 * the test through `cleanups`), and taking the frame just written.
 */
import {
  type DataRingServer,
  type Frame,
  FrameRingClient,
  FrameRingServer,
  type PixelFormat,
} from '../../src/shm/index.js';
import { nativeServerOf } from '../../src/shm/internal.js';

export function frameRefRings(prefix: string, cleanups: Array<() => void>) {
  let n = 0;
  const ringName = (what: string): string => `${prefix}-${process.pid}-${what}-${++n}`;
  return {
    ringName,
    camera(opts: { slots?: number; width?: number; height?: number; pixelFormat?: PixelFormat } = {}) {
      const { slots = 4, width = 8, height = 8, pixelFormat } = opts;
      const s = new FrameRingServer({ name: ringName('cam'), width, height, slots, pixelFormat });
      cleanups.push(() => s.close());
      return s;
    },
    reader(cam: FrameRingServer | string, policy: 'every' | 'latest' = 'every'): FrameRingClient {
      const c = FrameRingClient.open(typeof cam === 'string' ? cam : cam.info(), { policy });
      cleanups.push(() => c.close());
      return c;
    },
  };
}

/** The next frame of `c` (the one just written), or an error when none comes within a second. */
export function take(c: FrameRingClient): Frame {
  const f = c.pull(1000);
  if (!f) throw new Error('no frame');
  return f;
}

/**
 * A reference as bytes on the wire (src/shm/frame_ref.ts), with any field as given, hostile values included: `ring`
 * as a string (its UTF-16 code units, each cut to a byte) or raw bytes; `nameLength` when it should lie. Pins the
 * wire layout: tag 0x52, version 1, u16 name length, u32 index, f64 createdUs, f64 seq, then the name.
 */
export function rawRef(f: {
  ring: string | Uint8Array;
  createdUs: number;
  index: number;
  seq: number;
  tag?: number;
  version?: number;
  nameLength?: number;
}): Uint8Array {
  const name = typeof f.ring === 'string' ? Uint8Array.from(f.ring, (c) => c.charCodeAt(0) & 0xff) : f.ring;
  const bytes = new Uint8Array(24 + name.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, f.tag ?? 0x52);
  view.setUint8(1, f.version ?? 1);
  view.setUint16(2, f.nameLength ?? name.length, true);
  view.setUint32(4, f.index >>> 0, true);
  view.setFloat64(8, f.createdUs, true);
  view.setFloat64(16, f.seq, true);
  bytes.set(name, 24);
  return bytes;
}

/** Writes raw bytes into a data ring as one message, as a sender of references would; false when no slot was free. */
export function sendRaw(ring: DataRingServer, bytes: Uint8Array): boolean {
  return nativeServerOf(ring).write(bytes) >= 0;
}
