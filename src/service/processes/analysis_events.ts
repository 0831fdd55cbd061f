// The events the built-in process classes send: analysis results (src/analysis) in the FrameringEvent shape.
// Runs in the backends; plain data only, as it crosses to the parent.

import type { Box as BlobBox, MotionResult } from '../../analysis/index.js';
import type { SlotMeta } from '../../shm/index.js';
import type { DetectedObject, FrameringEvent } from '../service_view.js';

/** What a process sends; the service fills in `source` (the process's own name). */
export type ProcessEvent = Omit<FrameringEvent, 'source'>;

export function motionEvent(camera: string, meta: SlotMeta, motion: MotionResult): ProcessEvent {
  return {
    camera,
    frameNumber: meta.frameNumber,
    timestamp: Math.round(meta.timestampUs / 1000),
    kind: 'motion',
    objects: [],
    data: { changed: round(motion.fraction, 4) },
  };
}

/** Blobs as detected objects; the score is how much of its box actually changed (a solid blob scores near 1). */
export function objectsEvent(camera: string, meta: SlotMeta, blobs: readonly BlobBox[], label: string): ProcessEvent {
  const objects: DetectedObject[] = blobs.map((b) => ({
    label,
    score: round(Math.min(1, b.area / Math.max(1, b.width * b.height)), 3),
    box: { x: b.x, y: b.y, width: b.width, height: b.height },
  }));
  return {
    camera,
    frameNumber: meta.frameNumber,
    timestamp: Math.round(meta.timestampUs / 1000),
    kind: 'objects',
    objects,
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
