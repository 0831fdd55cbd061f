/**
 * The per-frame work every pipeline of the pipeline section does, identical in all three (framering, naive Node,
 * Python: pipeline_python.py does the same): a "light" look at the frame in the per-camera process (a byte every
 * 4 KiB, summed), every 2nd frame forwarded to the shared master, which looks at it the same way and replies with
 * a small object. The analysis is kept near free on purpose: the section measures what moving frames costs.
 */
export const SAMPLE_STRIDE = 4096;
export const FORWARD_EVERY = 2;

export function sample(pixels: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < pixels.length; i += SAMPLE_STRIDE) sum += pixels[i]!;
  return sum;
}

export interface Counts {
  /** Frames the per-camera process handled. */
  handled: number;
  forwarded: number;
  /** Replies from the master that came back. */
  replies: number;
}
