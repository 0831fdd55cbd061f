// What the master of main3 replies to a client about one forwarded frame.

import type { Box } from '../src/analysis/index.js';

export interface MasterReply {
  /** The client the frame came from (a client checks that replies reach the right client). */
  client: string;
  frameNumber: number;
  width: number;
  height: number;
  /** Moving blobs, largest first, in frame pixels. */
  boxes: Box[];
  /** Fraction of the image that changed, as the master measured it. */
  changed: number;
}

export function isMasterReply(value: unknown): value is MasterReply {
  const v = value as Partial<MasterReply> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.client === 'string' &&
    typeof v.frameNumber === 'number' &&
    Array.isArray(v.boxes)
  );
}
