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

/** The wire form: a small array, cheap to serialize. */
export type FrameRefWire = [ring: string, createdUs: number, index: number, seq: number];

export function frameRefToWire(ref: FrameRef): FrameRefWire {
  return [ref.ring, ref.createdUs, ref.index, ref.seq];
}

/** A reference read from another process's ring, or null when the value is not one. */
export function frameRefFromWire(value: unknown): FrameRef | null {
  if (!Array.isArray(value) || value.length !== 4) return null;
  const [ring, createdUs, index, seq] = value as unknown[];
  if (typeof ring !== 'string' || ring.length === 0) return null;
  if (!isCount(createdUs) || !isCount(index) || !isCount(seq)) return null;
  return { ring, createdUs, index, seq };
}

function isCount(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}
