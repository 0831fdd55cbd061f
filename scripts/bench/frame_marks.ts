/**
 * What the writer stamps into each frame and the reader checks: the send time (monotonic ns) in bytes 0..8, and the
 * frame number at the head, the middle and the tail. A reader that finds them disagreeing saw a torn or stale frame.
 * Reading three cache lines in three far-apart pages is the reader's "real" touch of the frame.
 */
import { nowNs } from './clock.js';

export const MIN_MARKED_BYTES = 64;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function offsets(length: number): [number, number, number] {
  const mid = Math.floor(length / 2 / 8) * 8;
  return [8, Math.max(mid, 16), length - 8];
}

/** Writes the frame number marks (everything but the send time). */
export function markFrame(bytes: Uint8Array, frameNumber: number): void {
  const dv = view(bytes);
  for (const at of offsets(bytes.byteLength)) dv.setFloat64(at, frameNumber, true);
}

/** Stamps the send time: call last, right before publishing. */
export function stampSendTime(bytes: Uint8Array): void {
  view(bytes).setBigUint64(0, nowNs(), true);
}

export interface FrameCheck {
  frameNumber: number;
  /** Latency from the writer's stamp to now, µs. */
  latencyUs: number;
  intact: boolean;
}

/** Reads the marks of a received frame. */
export function checkFrame(bytes: Uint8Array): FrameCheck {
  const now = nowNs();
  const dv = view(bytes);
  const [head, mid, tail] = offsets(bytes.byteLength);
  const frameNumber = dv.getFloat64(head, true);
  const intact = dv.getFloat64(mid, true) === frameNumber && dv.getFloat64(tail, true) === frameNumber;
  const latencyUs = Number(now - dv.getBigUint64(0, true)) / 1000;
  return { frameNumber, latencyUs, intact };
}
