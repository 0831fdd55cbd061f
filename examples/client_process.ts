// The per-camera process of main3: light analysis (motion by frame differencing) on every frame; frames with
// motion are forwarded to the shared master, whose replies (blob boxes) come back to handleMessage. On a reply the
// client draws the master's boxes on its copy of that frame and writes a snapshot (rate-limited), and counts it.

import type { Frame, SlotMeta } from '../src/shm/index.js';
import { ClientProcess, isDetectorReply, type ClientProcessOptions, type DetectorReply } from '../src/process/index.js';
import { drawLabelledBoxes, LatencyWindow } from '../src/analysis/detector/index.js';
import { BOX_COLOUR, drawBoxes, lineWidthFor, MotionDetectors, SnapshotWriter } from '../src/analysis/index.js';
import { isMasterReply } from './master_reply.js';
import { emptyReport, type AnalysisSettings, type ProcessReport } from './process_report.js';

export interface MotionClientOptions extends ClientProcessOptions {
  settings: AnalysisSettings;
}

/** Frames kept for the master's reply: enough for a detector's reply, which can come a second later under load. */
const KEPT_FRAMES = 12;

interface KeptFrame {
  frameNumber: number;
  pixels: Uint8Array;
  width: number;
  height: number;
}

export class MotionClient extends ClientProcess {
  static override moduleUrl = import.meta.url;
  private readonly settings: AnalysisSettings;
  private readonly detectors: MotionDetectors;
  private snapshots: SnapshotWriter | null = null;
  private camera = '';
  // Copies of recently forwarded frames, for drawing the master's boxes on; buffers reused round-robin.
  private readonly kept: KeptFrame[] = [];
  private nextKept = 0;
  private readonly counts = emptyReport(this.name);
  // With a detector master: objects received by label, and camera frame → reply latency.
  private readonly objects: Record<string, number> = {};
  private readonly latency = new LatencyWindow(1000);
  private readonly best: NonNullable<ProcessReport['bestObjects']> = {};

  constructor(options: MotionClientOptions) {
    super(options);
    this.settings = options.settings;
    this.detectors = new MotionDetectors(this.settings.motion);
  }

  protected override async preRun(): Promise<void> {
    this.snapshots = new SnapshotWriter({ dir: this.settings.outDir, minIntervalMs: this.settings.snapshotIntervalMs });
  }

  protected override async handleFrame(frame: Frame, source: string): Promise<void> {
    const { width, height, frameNumber } = frame.meta;
    this.camera = source;
    const motion = this.detectors.for(source, width, height).detect(frame.pixels);
    const c = this.counts;
    c.frames++;
    c.sources[source] = (c.sources[source] ?? 0) + 1;
    if (!motion.motion) return;
    c.motionFrames++;
    // Only frames worth the master's time go to it: the Frame itself, so that the master takes it in place (forward:
    // { byReference: true }) or a copy with its frameNumber, slotId and camera timestamp (forward: { width, height }).
    // Either way the reply's latency counts from the camera.
    if (this.forwardFrame(frame) !== null) c.forwarded++;
    // Tell downstream consumers (readers of this client's data ring) too; nobody has to listen.
    this.publishData({ camera: source, frameNumber, changed: motion.fraction });
    if (this.snapshots!.due(source)) this.keep(frame, width, height);
  }

  protected override async handleMessage(value: unknown, _meta: SlotMeta): Promise<void> {
    if (isDetectorReply(value)) return this.handleDetections(value);
    if (!isMasterReply(value)) return;
    const c = this.counts;
    c.replies++;
    if (value.client !== this.name) {
      c.misrouted++;
      return;
    }
    c.boxes += value.boxes.length;
    const kept = this.kept.find(
      (k) => k.frameNumber === value.frameNumber && k.width === value.width && k.height === value.height,
    );
    if (!kept || value.boxes.length === 0) return;
    const snapshots = this.snapshots!;
    if (!snapshots.due(this.camera)) return;
    kept.frameNumber = -1; // its buffer goes to sharp: never hand it out again
    this.kept.splice(this.kept.indexOf(kept), 1);
    drawBoxes(kept.pixels, kept.width, kept.height, value.boxes, BOX_COLOUR, lineWidthFor(kept.width));
    void snapshots.write(this.camera, `f${value.frameNumber}-${Date.now()}`, kept.pixels, kept.width, kept.height);
  }

  /** A detector master's reply: count the objects, and draw them, labelled, on a snapshot of that frame. */
  private handleDetections(value: DetectorReply): void {
    const c = this.counts;
    c.replies++;
    if (value.client !== this.name) {
      c.misrouted++;
      return;
    }
    this.latency.add(Date.now() - value.frameTimestampUs / 1000);
    c.boxes += value.objects.length;
    for (const o of value.objects) {
      this.objects[o.label] = (this.objects[o.label] ?? 0) + 1;
      if (!(o.score <= (this.best[o.label]?.score ?? -1)))
        this.best[o.label] = { score: o.score, box: o.box, frameNumber: value.frameNumber };
    }
    const kept = this.kept.find(
      (k) => k.frameNumber === value.frameNumber && k.width === value.width && k.height === value.height,
    );
    const snapshots = this.snapshots!;
    if (!kept || value.objects.length === 0 || !snapshots.due(this.camera)) return;
    kept.frameNumber = -1; // its buffer goes to sharp: never hand it out again
    this.kept.splice(this.kept.indexOf(kept), 1);
    drawLabelledBoxes(kept.pixels, kept.width, kept.height, value.objects);
    const labels = [...new Set(value.objects.map((o) => o.label.replace(/\s+/g, '_')))].join('+');
    void snapshots.write(
      this.camera,
      `f${value.frameNumber}-${labels}-${Date.now()}`,
      kept.pixels,
      kept.width,
      kept.height,
    );
  }

  protected override async postRun(): Promise<void> {
    await this.snapshots?.flush();
  }

  /** Backend: the counts so far; `final` waits for snapshots still being written first. */
  async report(final = false): Promise<ProcessReport> {
    if (final) await this.snapshots?.flush();
    const stats = this.getStats();
    const skipped: Record<string, number> = {};
    for (const [source, r] of Object.entries(stats.rings)) skipped[source] = r.dropped;
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
    if (this.latency.count > 0) {
      report.objects = { ...this.objects };
      report.bestObjects = { ...this.best };
      report.replyLatencyMs = { p50: this.latency.percentile(50), p99: this.latency.percentile(99) };
    }
    return report;
  }

  /** Copies the frame into one of a few buffers, so that the master's boxes can be drawn on it later. */
  private keep(frame: Frame, width: number, height: number): void {
    const bytes = width * height * 3;
    let slot: KeptFrame | undefined;
    if (this.kept.length < KEPT_FRAMES) {
      slot = { frameNumber: -1, pixels: new Uint8Array(bytes), width, height };
      this.kept.push(slot);
    } else {
      slot = this.kept[this.nextKept++ % KEPT_FRAMES]!;
      if (slot.pixels.length !== bytes) slot.pixels = new Uint8Array(bytes);
    }
    slot.pixels.set(frame.pixels.subarray(0, bytes));
    slot.frameNumber = frame.meta.frameNumber;
    slot.width = width;
    slot.height = height;
  }
}
