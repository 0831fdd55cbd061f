// What every example process tells the command line about itself (its backend's report() method): the counts
// behind the status line, the summary table and the --json line.

import type { MotionOptions } from '../src/analysis/index.js';

export interface ProcessReport {
  name: string;
  /** The backend's pid (0 before its first report). */
  pid: number;
  /** Frames handled (all rings together). */
  frames: number;
  /** main3: replies received from the master (clients) or sent to clients (master); 0 elsewhere. */
  replies: number;
  /** Frames handled per source (camera name, or client name for the master). */
  sources: Record<string, number>;
  /** Frames the ring readers skipped because the handler was busy ('latest' policy), per source. */
  skipped: Record<string, number>;
  /** Frames in which motion was seen (RGB processes and clients). */
  motionFrames: number;
  /** Frames forwarded to the master (clients). */
  forwarded: number;
  /** Bounding boxes found (RGB processes, master) or received (clients). */
  boxes: number;
  /** Snapshots written, and the last failure if any. */
  snapshots: number;
  snapshotErrors: number;
  lastError?: string;
  /** Clients: replies that named another client (must stay 0). */
  misrouted: number;
}

/** Analysis settings sent to every example process with its options (plain data: it crosses into the child). */
export interface AnalysisSettings {
  /** Where snapshots go. */
  outDir: string;
  /** At most one snapshot per camera per this many ms. */
  snapshotIntervalMs: number;
  motion?: MotionOptions;
}

export function emptyReport(name: string): ProcessReport {
  return { name, pid: 0, frames: 0, replies: 0, sources: {}, skipped: {}, motionFrames: 0, forwarded: 0, boxes: 0, snapshots: 0, snapshotErrors: 0, misrouted: 0 };
}
