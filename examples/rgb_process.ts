// The process of main1 and main2: an RGB24Process that watches one or more cameras for motion, finds the moving
// blobs, and writes a snapshot with their boxes drawn (at most one per camera every few seconds).
// It runs in a forked child; the parent only creates it, activates rings, and asks for report().

import type { Frame } from '../src/shm/index.js';
import { RGB24Process, type MessageProcessOptions } from '../src/process/index.js';
import {
  BlobExtractor,
  BOX_COLOUR,
  drawBoxes,
  lineWidthFor,
  MotionDetectors,
  SnapshotWriter,
} from '../src/analysis/index.js';
import { emptyReport, type AnalysisSettings, type ProcessReport } from './process_report.js';

export interface MotionRGBProcessOptions extends MessageProcessOptions {
  settings: AnalysisSettings;
}

export class MotionRGBProcess extends RGB24Process {
  static override moduleUrl = import.meta.url;
  private readonly settings: AnalysisSettings;
  // One detector per camera: each has its own background.
  private readonly blobs = new BlobExtractor();
  private snapshots: SnapshotWriter | null = null;
  private readonly counts = emptyReport(this.name);
  private readonly detectors: MotionDetectors;

  constructor(options: MotionRGBProcessOptions) {
    super(options);
    this.settings = options.settings;
    this.detectors = new MotionDetectors(this.settings.motion);
  }

  protected override async preRun(): Promise<void> {
    this.snapshots = new SnapshotWriter({ dir: this.settings.outDir, minIntervalMs: this.settings.snapshotIntervalMs });
  }

  protected override async handleFrame(frame: Frame, source: string): Promise<void> {
    const { width, height, frameNumber } = frame.meta;
    const detector = this.detectors.for(source, width, height);
    const motion = detector.detect(frame.pixels);
    const c = this.counts;
    c.frames++;
    c.sources[source] = (c.sources[source] ?? 0) + 1;
    if (!motion.motion) return;
    c.motionFrames++;
    const boxes = this.blobs.extract(motion.mask, motion.grid.width, motion.grid.height, motion.grid.step);
    c.boxes += boxes.length;
    const snapshots = this.snapshots!;
    if (boxes.length > 0 && snapshots.due(source)) {
      // Draw on a copy: the slot is shared with every other reader of the camera's ring.
      const picture = frame.copy();
      drawBoxes(picture, width, height, boxes, BOX_COLOUR, lineWidthFor(width));
      void snapshots.write(source, `f${frameNumber}-${Date.now()}`, picture, width, height);
    }
  }

  protected override async postRun(): Promise<void> {
    await this.snapshots?.flush();
  }

  /** Backend: the counts so far; `final` waits for snapshots still being written first. */
  async report(final = false): Promise<ProcessReport> {
    if (final) await this.snapshots?.flush();
    const rings = this.getStats().rings;
    const skipped: Record<string, number> = { ...this.counts.skipped };
    for (const [source, r] of Object.entries(rings)) skipped[source] = r.dropped;
    const s = this.snapshots;
    const report: ProcessReport = {
      ...this.counts,
      pid: process.pid,
      sources: { ...this.counts.sources },
      skipped,
      snapshots: s?.written ?? 0,
      snapshotErrors: s?.failed ?? 0,
    };
    if (s?.lastError) report.lastError = s.lastError;
    return report;
  }
}
