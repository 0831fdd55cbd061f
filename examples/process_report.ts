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
  /** main3 with a detector: objects found (master) or received (clients), by label, counted per frame. */
  objects?: Record<string, number>;
  /** main3 with a detector, clients: camera frame → master's reply, in ms (p50, p99 of the last 1000). */
  replyLatencyMs?: { p50: number | null; p99: number | null };
  /** main3 with a detector, clients: the best-scoring object received per label (box in frame pixels). */
  bestObjects?: Record<
    string,
    { score: number; box: { x: number; y: number; width: number; height: number }; frameNumber: number }
  >;
  /** main3 with a detector, master: its figures (detection_fps, inference p50/p99 per model, skipped per client). */
  detector?: {
    model: string;
    backend: string;
    detectionFps: number;
    skippedFps: number;
    inference: Record<string, { p50: number | null; p99: number | null; count: number }>;
  };
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
  return {
    name,
    pid: 0,
    frames: 0,
    replies: 0,
    sources: {},
    skipped: {},
    motionFrames: 0,
    forwarded: 0,
    boxes: 0,
    snapshots: 0,
    snapshotErrors: 0,
    misrouted: 0,
  };
}
