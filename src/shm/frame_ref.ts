/**
 * A frame's place in a ring (name, creation time, slot, seq): what one process passes another instead of the pixels
 * (PROTOCOL.md SLOT-8). The receiver takes its own hold on that slot only if it still holds that seq, so a stale
 * reference yields nothing, never another frame.
 */
export interface FrameRef {
  ring: string;
  /** The ring's creation time, µs: a ring made again under the same name is another ring. */
  createdUs: number;
  index: number;
  seq: number;
}

/*
 * The wire form, little-endian at fixed offsets, written and read without a serializer (a v8 one cost more than the
 * rest of a forward):
 *   0 u8 tag 0x52 ('R'; a v8 serialization opens with 0xFF, so nothing v8 wrote reads as a reference)
 *   1 u8 version 1, 2 u16 the name's length, 4 u32 slot index, 8 f64 createdUs, 16 f64 seq, 24 the ring's name
 * Ring names are ASCII ([A-Za-z0-9._-], at most 120 characters), so the name's bytes are its characters.
 */
const TAG = 0x52;
const VERSION = 1;
const HEAD_BYTES = 24;
const MAX_NAME_BYTES = 255;
/** The longest reference on the wire. */
export const FRAME_REF_MAX_BYTES = HEAD_BYTES + MAX_NAME_BYTES;

const encoder = new TextEncoder();

/**
 * Writes `ref` into `into` (FRAME_REF_MAX_BYTES long at least) and returns how many bytes it took; 0 when the ring's
 * name cannot be a ring's (not ASCII, or too long), so that nothing is sent.
 */
export function writeFrameRef(ref: FrameRef, into: Uint8Array): number {
  const { read, written } = encoder.encodeInto(ref.ring, into.subarray(HEAD_BYTES, FRAME_REF_MAX_BYTES));
  if (read !== ref.ring.length || written !== ref.ring.length || written === 0) return 0;
  const view = new DataView(into.buffer, into.byteOffset, HEAD_BYTES);
  view.setUint8(0, TAG);
  view.setUint8(1, VERSION);
  view.setUint16(2, written, true);
  view.setUint32(4, ref.index, true);
  view.setFloat64(8, ref.createdUs, true);
  view.setFloat64(16, ref.seq, true);
  return HEAD_BYTES + written;
}

/**
 * Reads references off the wire. It keeps the last ring name it decoded, so that a receiver naming the same ring frame
 * after frame makes no new string (nor hashes one) per reference.
 */
export class FrameRefReader {
  private lastName = '';
  private lastNameBytes = new Uint8Array(0);

  /** The reference in `bytes`, or null when they are not one (junk, another version, an impossible value). */
  read(bytes: Uint8Array): FrameRef | null {
    if (bytes.byteLength <= HEAD_BYTES || bytes[0] !== TAG || bytes[1] !== VERSION) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, HEAD_BYTES);
    const nameBytes = view.getUint16(2, true);
    if (nameBytes !== bytes.byteLength - HEAD_BYTES || nameBytes > MAX_NAME_BYTES) return null;
    const createdUs = view.getFloat64(8, true);
    const seq = view.getFloat64(16, true);
    if (!isCount(createdUs) || !isCount(seq)) return null;
    return { ring: this.nameOf(bytes.subarray(HEAD_BYTES)), createdUs, index: view.getUint32(4, true), seq };
  }

  private nameOf(bytes: Uint8Array): string {
    const last = this.lastNameBytes;
    if (bytes.length === last.length) {
      let same = true;
      for (let i = 0; i < bytes.length && same; i++) same = bytes[i] === last[i];
      if (same) return this.lastName;
    }
    // A copy first: `bytes` is shared memory a hostile writer may change while we read, and the name kept must be
    // the one these bytes say. Bytes above 0x7F cannot be in a ring's name: read as Latin-1 they name no ring.
    const copy = bytes.slice();
    let name = '';
    for (let i = 0; i < copy.length; i++) name += String.fromCharCode(copy[i]!);
    this.lastName = name;
    this.lastNameBytes = copy;
    return name;
  }
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
