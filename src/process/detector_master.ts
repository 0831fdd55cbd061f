// DetectorMaster: a MasterProcess that runs an object-detection network (src/analysis/detector) on the frames its
// clients forward, and replies to each client with the objects found. The network is slower than cameras, so the
// master never queues without bound: it keeps only the latest frame of each client (a newer one replaces the one
// still waiting, counted as skipped: Frigate's skipped_fps), and the network takes the clients in turn, the one
// that has waited longest first. Memory: at most two frame buffers per client, whatever the load.
// Stats: detection_fps, inference p50/p99 for the model, per client received / detected / skipped and objects by
// label. Events: 'object' { client, type: 'new' | 'end', label, … } from a simple IoU tracker, so an object that
// stays in view is one event, not one per frame.

import {
  ObjectDetector,
  normalizeDetectorOptions,
  type Detection,
  type ObjectDetectorOptions,
} from '../analysis/detector/object_detector.js';
import { LatencyWindow } from '../analysis/detector/latency_window.js';
import { IouTracker, type TrackEvent } from '../analysis/detector/tracker.js';
import type { Frame } from '../shm/index.js';
import { sendEventToFrontend } from './backend_events.js';
import { MasterProcess, type MasterProcessOptions } from './master_process.js';
import type { AnyEvents, ProcessEventMap } from './process_events.js';

export interface DetectorMasterOptions extends MasterProcessOptions {
  /** The detector (backend, model, thresholds); see ObjectDetectorOptions. */
  detector?: ObjectDetectorOptions;
  /** The IoU tracker behind the 'object' events, or false for none (default { minIou: 0.3, maxAgeMs: 3000 }). */
  tracker?: { minIou?: number; maxAgeMs?: number } | false;
}

/** What a client receives for each frame the network looked at. */
export interface DetectorReply {
  kind: 'detections';
  client: string;
  frameNumber: number;
  width: number;
  height: number;
  /**
   * When the frame was written to the client's forward ring (µs, CLOCK_REALTIME; the camera's time if the client
   * passed it on).
   */
  frameTimestampUs: number;
  model: string;
  objects: Detection[];
  inferenceMs: number;
  /** From the frame reaching the master to the reply (waiting for the network included). */
  masterMs: number;
}

export function isDetectorReply(value: unknown): value is DetectorReply {
  const v = value as Partial<DetectorReply> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.kind === 'detections' &&
    typeof v.client === 'string' &&
    Array.isArray(v.objects)
  );
}

/** Payload of the 'object' event. */
export type ObjectEvent = TrackEvent & { client: string };

export interface DetectorClientStats {
  /** Frames that reached the master, frames the network looked at, frames replaced by a newer one before it could. */
  received: number;
  detected: number;
  skipped: number;
  /** Objects found, by label (counted per frame: a person in 10 frames counts 10). */
  objects: Record<string, number>;
  /** Replies that found the client's reply ring full. */
  repliesDropped: number;
}

export interface DetectorMasterStats {
  model: string;
  backend: string;
  input: { width: number; height: number };
  /** Frames through the network per second: over the last 10 s, and over the whole run. */
  detectionFps: number;
  detectionFpsTotal: number;
  /** Frames replaced before the network got to them, per second over the whole run (all clients). */
  skippedFps: number;
  /** Inference time in ms (network only) over the last 1000 frames, per model. */
  inference: Record<string, { p50: number | null; p99: number | null; count: number }>;
  clients: Record<string, DetectorClientStats>;
  /** Frames waiting now (at most one per client) and bytes held in frame buffers. */
  waiting: number;
  bufferedBytes: number;
}

interface Waiting {
  pixels: Uint8Array;
  width: number;
  height: number;
  frameNumber: number;
  timestampUs: number;
  arrivedMs: number;
  /** Since when this client has had a frame waiting (kept when a newer frame replaces the waiting one). */
  waitingSinceMs: number;
}

const FPS_WINDOW_MS = 10_000;

/** The events a DetectorMaster's backend sends, besides MasterProcess's and the class's own. */
export interface DetectorEvents {
  object: [event: ObjectEvent];
}

export class DetectorMaster<Events extends ProcessEventMap<Events> = AnyEvents> extends MasterProcess<
  DetectorEvents & Events
> {
  static override moduleUrl = import.meta.url;
  private detector: ObjectDetector | null = null;
  private readonly waiting = new Map<string, Waiting>();
  private readonly spare = new Map<string, Uint8Array>(); // one free buffer per client, reused
  private readonly perClient = new Map<string, DetectorClientStats>();
  private readonly trackers = new Map<string, IouTracker>();
  private readonly inference = new LatencyWindow(1000);
  private readonly doneAt = new Float64Array(256); // completion times, for detection_fps
  private doneCount = 0;
  private startedMs = 0;
  private loop: Promise<void> | null = null;
  private stopping = false;

  constructor(options: DetectorMasterOptions = {}) {
    super(options);
    // Bad thresholds or labels fail here, in the frontend, before anything is forked.
    normalizeDetectorOptions(options.detector);
  }

  private get detectorOptions(): DetectorMasterOptions {
    return this.options as DetectorMasterOptions;
  }

  protected override async preRun(): Promise<void> {
    // The model loads once per process, here: a missing or damaged model fails start() with the detector's code.
    this.detector = await ObjectDetector.create(this.detectorOptions.detector);
    this.startedMs = Date.now();
  }

  protected override async postRun(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.detector?.dispose();
    this.detector = null;
  }

  protected override async handleFrame(frame: Frame, client: string): Promise<void> {
    const { width, height, frameNumber, timestampUs } = frame.meta;
    const bytes = width * height * 3;
    const stats = this.statsFor(client);
    stats.received++;
    const previous = this.waiting.get(client);
    let pixels: Uint8Array;
    if (previous) {
      // The network has not got to the previous frame yet: the newer one takes its place (and its buffer).
      stats.skipped++;
      pixels = previous.pixels.length === bytes ? previous.pixels : new Uint8Array(bytes);
    } else {
      const spare = this.spare.get(client);
      this.spare.delete(client);
      pixels = spare && spare.length === bytes ? spare : new Uint8Array(bytes);
    }
    pixels.set(frame.pixels.subarray(0, bytes));
    const now = Date.now();
    this.waiting.set(client, {
      pixels,
      width,
      height,
      frameNumber,
      timestampUs,
      arrivedMs: now,
      waitingSinceMs: previous?.waitingSinceMs ?? now,
    });
    this.loop ??= this.drain().finally(() => {
      this.loop = null;
    });
  }

  protected override async handleRingGone(source: string): Promise<void> {
    this.waiting.delete(source);
    this.spare.delete(source);
    const tracker = this.trackers.get(source);
    if (tracker) for (const e of tracker.expire(Number.POSITIVE_INFINITY)) this.sendObjectEvent(source, e);
    this.trackers.delete(source);
  }

  /** Runs the network while frames wait: the one that has waited longest first. */
  private async drain(): Promise<void> {
    while (!this.stopping && this.detector) {
      // Let frames, calls and replies in between two runs: the wasm backend settles its promises as microtasks, so
      // without this the loop would hold the event loop while any frame waits, and starve the other clients.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.stopping || !this.detector) return;
      let next: [string, Waiting] | null = null;
      // Round robin in effect: the client waiting longest goes first, however often its frame was replaced.
      for (const entry of this.waiting) if (!next || entry[1].waitingSinceMs < next[1].waitingSinceMs) next = entry;
      if (!next) return;
      const [client, w] = next;
      this.waiting.delete(client);
      try {
        await this.detectOne(client, w);
      } catch (err) {
        console.error(
          `framering process '${this.name}': detection failed for '${client}':`,
          err instanceof Error ? err.message : err,
        );
      } finally {
        if (this.clients().includes(client)) this.spare.set(client, w.pixels);
      }
    }
  }

  private async detectOne(client: string, w: Waiting): Promise<void> {
    const detector = this.detector!;
    const result = await detector.detect(w.pixels, w.width, w.height);
    const now = Date.now();
    this.inference.add(result.inferenceMs);
    this.doneAt[this.doneCount++ % this.doneAt.length] = now;
    const stats = this.statsFor(client);
    stats.detected++;
    for (const o of result.objects) stats.objects[o.label] = (stats.objects[o.label] ?? 0) + 1;
    if (!this.clients().includes(client)) return; // it left while the network ran
    const reply: DetectorReply = {
      kind: 'detections',
      client,
      frameNumber: w.frameNumber,
      width: w.width,
      height: w.height,
      frameTimestampUs: w.timestampUs,
      model: detector.model.name,
      objects: result.objects,
      inferenceMs: Math.round(result.inferenceMs * 10) / 10,
      masterMs: now - w.arrivedMs,
    };
    if (this.reply(client, reply) === null) stats.repliesDropped++;
    this.onDetections(reply);
    if (this.detectorOptions.tracker !== false) {
      let tracker = this.trackers.get(client);
      if (!tracker) {
        const t = this.detectorOptions.tracker || {};
        tracker = new IouTracker(t.minIou, t.maxAgeMs);
        this.trackers.set(client, tracker);
      }
      for (const e of tracker.update(result.objects, now)) this.sendObjectEvent(client, e);
    }
  }

  /** Runs after each frame the network looked at (the reply already sent): for subclasses that report elsewhere. */
  protected onDetections(_reply: DetectorReply): void {}

  private sendObjectEvent(client: string, e: TrackEvent): void {
    sendEventToFrontend('object', { ...e, client } satisfies ObjectEvent);
  }

  private statsFor(client: string): DetectorClientStats {
    let s = this.perClient.get(client);
    if (!s) {
      s = { received: 0, detected: 0, skipped: 0, objects: {}, repliesDropped: 0 };
      this.perClient.set(client, s);
    }
    return s;
  }

  /** Backend: the detector's figures (see DetectorMasterStats). */
  detectorStats(): DetectorMasterStats {
    this.assertBackend('detectorStats');
    const now = Date.now();
    const n = Math.min(this.doneCount, this.doneAt.length);
    let recent = 0;
    let oldest = now;
    for (let i = 0; i < n; i++) {
      const t = this.doneAt[i]!;
      if (now - t <= FPS_WINDOW_MS) {
        recent++;
        if (t < oldest) oldest = t;
      }
    }
    // Over the last 10 s, or less when the run (or the ring of completion times) is shorter.
    const span = Math.max(
      1,
      Math.min(
        FPS_WINDOW_MS,
        now - this.startedMs,
        recent === n && n === this.doneAt.length ? now - oldest : FPS_WINDOW_MS,
      ),
    );
    const runS = Math.max(0.001, (now - this.startedMs) / 1000);
    let skipped = 0;
    const clients: Record<string, DetectorClientStats> = {};
    for (const [name, s] of this.perClient) {
      skipped += s.skipped;
      clients[name] = { ...s, objects: { ...s.objects } };
    }
    let bufferedBytes = 0;
    for (const w of this.waiting.values()) bufferedBytes += w.pixels.length;
    for (const b of this.spare.values()) bufferedBytes += b.length;
    const d = this.detector;
    const model = d?.model.name ?? 'none';
    return {
      model,
      backend: d?.description ?? 'not loaded',
      input: d?.inputSize ?? { width: 0, height: 0 },
      detectionFps: round2((recent * 1000) / span),
      detectionFpsTotal: round2(this.doneCount / runS),
      skippedFps: round2(skipped / runS),
      inference: {
        [model]: {
          p50: this.inference.percentile(50),
          p99: this.inference.percentile(99),
          count: this.inference.count,
        },
      },
      clients,
      waiting: this.waiting.size,
      bufferedBytes,
    };
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
