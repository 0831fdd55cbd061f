// Options of the built-in process classes, as a config gives them (flat, plain data: they cross into the child).
// Checked by the config schema before anything starts, so a bad threshold is a config error with a line number,
// not a crashed process.

import { z } from 'zod';

const int = (min: number, max: number) =>
  z
    .number({ error: `must be an integer ${min}–${max}` })
    .int({ error: `must be an integer ${min}–${max}` })
    .min(min, { error: `must be an integer ${min}–${max}` })
    .max(max, { error: `must be an integer ${min}–${max}` });
const fraction = z
  .number({ error: 'must be a number above 0 and at most 1' })
  .gt(0, { error: 'must be a number above 0 and at most 1' })
  .max(1, { error: 'must be a number above 0 and at most 1' });

const motionFields = {
  /** Frame pixels per analysed pixel along each axis. */
  step: int(1, 64).optional(),
  /** Grey-level change (1–255) that counts. */
  threshold: int(1, 255).optional(),
  /** Fraction of the image that must change for motion. */
  minArea: fraction.optional(),
  /** Background learning rate, 1/2^learnShift per frame. */
  learnShift: int(0, 8).optional(),
};

export const motionOptionsSchema = z.strictObject(motionFields);
export type MotionSettings = z.infer<typeof motionOptionsSchema>;

export const blobMasterOptionsSchema = z.strictObject({
  ...motionFields,
  /** Cells to grow the change mask by before joining blobs. */
  dilate: int(0, 8).optional(),
  /** Smaller blobs (in mask cells) are ignored. */
  minCells: int(1, 100_000).optional(),
  /** At most this many boxes per frame, largest first. */
  maxBlobs: int(1, 256).optional(),
  /** The label of every box in the 'objects' events. */
  label: z
    .string({ error: 'must be a text' })
    .min(1, { error: 'must not be empty' })
    .max(64, { error: 'must be at most 64 characters' })
    .optional(),
});
export type BlobMasterSettings = z.infer<typeof blobMasterOptionsSchema>;

/** Built-in 'object-detector' (main3 shape, the shared heavy half): ObjectDetector's thresholds, as plain data. */
export const objectDetectorOptionsSchema = z.strictObject({
  /** Detections scoring less are dropped. */
  minScore: fraction.optional(),
  /** Only these labels (COCO names such as person, car, dog); all when absent. */
  labels: z
    .array(z.string({ error: 'must be a label' }).min(1).max(64), { error: 'must be a list of labels' })
    .min(1)
    .max(80)
    .optional(),
  /** Overlap above which near-duplicate boxes of one label merge. */
  iouThreshold: fraction.optional(),
  /** At most this many objects per frame. */
  maxDetections: int(1, 100).optional(),
  /** tfjs-wasm threads (2 helps little on 2 busy cores). */
  threads: z.boolean({ error: 'must be true or false' }).optional(),
});
export type ObjectDetectorSettings = z.infer<typeof objectDetectorOptionsSchema>;

/** Splits the motion fields out of a settings object (the rest is the caller's). */
export function motionPart(s: MotionSettings): MotionSettings {
  const out: MotionSettings = {};
  for (const key of Object.keys(motionFields) as Array<keyof MotionSettings>)
    if (s[key] !== undefined) (out as Record<string, unknown>)[key] = s[key];
  return out;
}
