// The shared process of main3: the heavier analysis on what the clients forward. CocoMaster (the default) runs a
// COCO object-detection network (see src/process/detector_master.ts); BlobMaster, with `--detector blobs`, keeps a
// per-client background finer than the clients' (every 2nd pixel instead of every 4th), extracts the moving blobs
// as bounding boxes, and replies to that client with them.

import type { Frame } from '../src/shm/index.js';
import { DetectorMaster, MasterProcess, type MasterProcessOptions } from '../src/process/index.js';
import { BlobExtractor, MotionDetectors } from '../src/analysis/index.js';
import type { MasterReply } from './master_reply.js';
import { emptyReport, type AnalysisSettings, type ProcessReport } from './process_report.js';

export interface BlobMasterOptions extends MasterProcessOptions {
  settings: AnalysisSettings;
}

export class BlobMaster extends MasterProcess {
  static override moduleUrl = import.meta.url;
  private readonly settings: AnalysisSettings;
  private readonly blobs = new BlobExtractor({ dilate: 2, minCells: 8 });
  private readonly counts = emptyReport(this.name);

  private readonly detectors: MotionDetectors;

  constructor(options: BlobMasterOptions) {
    super(options);
    this.settings = options.settings;
    // Finer than the clients' (step 2): this is the "heavy" analysis the clients share.
    this.detectors = new MotionDetectors({ ...this.settings.motion, step: 2 });
  }

  protected override async handleFrame(frame: Frame, client: string): Promise<void> {
    const { width, height, frameNumber } = frame.meta;
    const motion = this.detectors.for(client, width, height).detect(frame.pixels);
    const boxes = this.blobs.extract(motion.mask, motion.grid.width, motion.grid.height, motion.grid.step);
    const c = this.counts;
    c.frames++;
    c.sources[client] = (c.sources[client] ?? 0) + 1;
    c.boxes += boxes.length;
    const reply: MasterReply = { client, frameNumber, width, height, boxes, changed: motion.fraction };
    // null: the client's reply ring is full (the client is behind); the next frame gets a reply.
    if (this.reply(client, reply) !== null) c.replies++;
  }

  protected override async handleRingGone(source: string): Promise<void> {
    this.detectors.delete(source);
  }

  /** Backend: the counts so far (replies = replies sent). */
  async report(_final = false): Promise<ProcessReport> {
    const skipped: Record<string, number> = {};
    for (const [source, r] of Object.entries(this.getStats().rings)) skipped[source] = r.dropped;
    return { ...this.counts, pid: process.pid, sources: { ...this.counts.sources }, skipped };
  }
}

/** main3's master with `--detector centernet` (the default): COCO objects from a real network (DetectorMaster). */
export class CocoMaster extends DetectorMaster {
  static override moduleUrl = import.meta.url;

  /** Backend: the counts so far, in the examples' report shape. */
  async report(_final = false): Promise<ProcessReport> {
    const s = this.detectorStats();
    const r = emptyReport(this.name);
    const objects: Record<string, number> = {};
    const skipped: Record<string, number> = {};
    for (const [client, c] of Object.entries(s.clients)) {
      r.frames += c.detected;
      r.replies += c.detected - c.repliesDropped;
      r.sources[client] = c.detected;
      // Frames the network never saw: replaced while waiting, or passed over by the ring reader.
      skipped[client] = c.skipped + (this.getStats().rings[client]?.dropped ?? 0);
      for (const [label, n] of Object.entries(c.objects)) objects[label] = (objects[label] ?? 0) + n;
    }
    r.boxes = Object.values(objects).reduce((a, b) => a + b, 0);
    return {
      ...r,
      pid: process.pid,
      skipped,
      objects,
      detector: {
        model: s.model,
        backend: s.backend,
        detectionFps: s.detectionFps,
        skippedFps: s.skippedFps,
        inference: s.inference,
      },
    };
  }
}
