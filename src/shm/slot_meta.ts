import type { PayloadFormat } from './pixel_format.js';

/** What a reader learns about each slot it takes, besides the bytes. */
export interface SlotMeta {
  /** Position in the writer's sequence: 1, 2, 3… with gaps where this reader missed frames. */
  seq: number;
  width: number;
  height: number;
  /** Bytes in use in the slot. */
  bytes: number;
  /** Wall-clock microseconds (CLOCK_REALTIME) at commit, unless the writer set it. */
  timestampUs: number;
  /**
   * The source's presentation time (camera time) in microseconds, or null when unknown (a source without
   * timestamps, a writer that set none). Its zero is the source's: for a LiveStream it starts over at each ffmpeg
   * restart (see `restarts`).
   */
  ptsUs: number | null;
  /** A LiveStream counts it on across ffmpeg restarts, dropped frames included. */
  frameNumber: number;
  /** How often the writer's source restarted before this frame (LiveStream: ffmpeg runs before this one). */
  restarts: number;
  /** How the bytes are to be read: a pixel format, or 'data'. */
  format: PayloadFormat | 'unknown';
  /** The writer's source id: camera index, client index… */
  slotId: number;
}
