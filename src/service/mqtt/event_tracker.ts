// From per-frame analysis results to what MQTT users expect (Frigate's shape): objects tracked across frames, with
// one 'new' event when an object appears, 'update' events (at most one per object per update interval) and one
// 'end' when it has not been seen for a while; per camera and label the count of objects in view; per camera
// motion ON, and OFF after a quiet delay. Bounded: at most MAX_OBJECTS tracked per camera.
//
// Matching is by box overlap (IoU) between an object's last box and the new frame's boxes of the same label,
// greedy, best overlap first: enough for the blob master's boxes and a detector's at a few frames per second.

import type { DetectedObject, FrameringEvent } from '../service_view.js';

const MAX_OBJECTS = 64;
const MIN_IOU = 0.2;

export interface TrackedObject {
  id: string;
  camera: string;
  label: string;
  score: number;
  top_score: number;
  box: DetectedObject['box'];
  /** Seconds since the epoch (Frigate's unit), of the frame it was last seen in. */
  frame_time: number;
  start_time: number;
  end_time: number | null;
  source: string;
  /** Frames it was seen in. */
  hits: number;
}

export type ObjectEventType = 'new' | 'update' | 'end';

export interface TrackerOutput {
  /** Object lifecycle events, in order. */
  onObject(type: ObjectEventType, object: TrackedObject): void;
  /** The number of tracked objects of a label on a camera changed. */
  onCount(camera: string, label: string, count: number): void;
  /** A camera's motion went ON or OFF. */
  onMotion(camera: string, on: boolean): void;
}

interface Live extends TrackedObject {
  lastSeenMs: number;
  lastUpdateMs: number;
}

export interface TrackerTimings {
  motionOffMs: number;
  objectEndMs: number;
  updateIntervalMs: number;
}

export class EventTracker {
  private readonly objects = new Map<string, Live[]>();
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly motionAt = new Map<string, number>();
  private sequence = 0;

  constructor(
    private readonly timings: TrackerTimings,
    private readonly out: TrackerOutput,
    private readonly now: () => number = Date.now,
  ) {}

  /** Current motion state and counts, for republishing after a reconnect. */
  snapshot(): { motion: Array<[string, boolean]>; counts: Array<[string, string, number]> } {
    const counts: Array<[string, string, number]> = [];
    for (const [camera, labels] of this.counts) for (const [label, n] of labels) counts.push([camera, label, n]);
    return { motion: [...this.motionAt.keys()].map((c) => [c, true]), counts };
  }

  handle(event: FrameringEvent): void {
    if (event.kind === 'motion') this.motion(event.camera);
    else if (event.kind === 'objects') {
      this.motion(event.camera);
      this.objectsSeen(event);
    }
  }

  /** Ends what timed out; call it a few times a second. */
  tick(): void {
    const now = this.now();
    for (const [camera, at] of this.motionAt) {
      if (now - at >= this.timings.motionOffMs) {
        this.motionAt.delete(camera);
        this.out.onMotion(camera, false);
      }
    }
    for (const [camera, live] of this.objects) {
      const gone = live.filter((o) => now - o.lastSeenMs >= this.timings.objectEndMs);
      if (gone.length === 0) continue;
      this.objects.set(
        camera,
        live.filter((o) => !gone.includes(o)),
      );
      for (const o of gone) this.end(o);
      this.recount(camera);
    }
  }

  /** Analysis of a camera stopped: its objects end and its motion goes OFF at once. */
  clearCamera(camera: string): void {
    for (const o of this.objects.get(camera) ?? []) this.end(o);
    this.objects.delete(camera);
    this.recount(camera);
    if (this.motionAt.delete(camera)) this.out.onMotion(camera, false);
  }

  private motion(camera: string): void {
    const first = !this.motionAt.has(camera);
    this.motionAt.set(camera, this.now());
    if (first) this.out.onMotion(camera, true);
  }

  private objectsSeen(event: FrameringEvent): void {
    const now = this.now();
    const live = this.objects.get(event.camera) ?? [];
    const frameTime = event.timestamp / 1000;
    const unmatched = new Set(live);
    // Candidate pairs, best overlap first.
    const pairs: Array<{ o: Live; d: DetectedObject; iou: number }> = [];
    for (const d of event.objects) {
      for (const o of live) {
        if (o.label !== d.label) continue;
        const iou = overlap(o.box, d.box);
        if (iou >= MIN_IOU) pairs.push({ o, d, iou });
      }
    }
    pairs.sort((a, b) => b.iou - a.iou);
    const used = new Set<DetectedObject>();
    for (const { o, d } of pairs) {
      if (used.has(d) || !unmatched.has(o)) continue;
      used.add(d);
      unmatched.delete(o);
      o.box = d.box;
      o.score = d.score;
      o.top_score = Math.max(o.top_score, d.score);
      o.frame_time = frameTime;
      o.lastSeenMs = now;
      o.hits++;
      if (now - o.lastUpdateMs >= this.timings.updateIntervalMs) {
        o.lastUpdateMs = now;
        this.out.onObject('update', o);
      }
    }
    for (const d of event.objects) {
      if (used.has(d) || live.length >= MAX_OBJECTS) continue;
      const o: Live = {
        id: `${frameTime.toFixed(3)}-${(this.sequence++).toString(36)}`,
        camera: event.camera,
        label: d.label,
        score: d.score,
        top_score: d.score,
        box: d.box,
        frame_time: frameTime,
        start_time: frameTime,
        end_time: null,
        source: event.source,
        hits: 1,
        lastSeenMs: now,
        lastUpdateMs: now,
      };
      live.push(o);
      this.out.onObject('new', o);
    }
    this.objects.set(event.camera, live);
    this.recount(event.camera);
  }

  private end(o: Live): void {
    o.end_time = o.frame_time;
    this.out.onObject('end', o);
  }

  private recount(camera: string): void {
    const now = new Map<string, number>();
    for (const o of this.objects.get(camera) ?? []) now.set(o.label, (now.get(o.label) ?? 0) + 1);
    const before = this.counts.get(camera) ?? new Map<string, number>();
    for (const label of new Set([...before.keys(), ...now.keys()])) {
      const n = now.get(label) ?? 0;
      if ((before.get(label) ?? 0) !== n || !before.has(label)) this.out.onCount(camera, label, n);
    }
    // Labels seen once stay (at 0): their retained count must say 0, not the last number.
    for (const label of before.keys()) if (!now.has(label)) now.set(label, 0);
    this.counts.set(camera, now);
  }
}

/** Intersection over union of two boxes. */
export function overlap(a: DetectedObject['box'], b: DetectedObject['box']): number {
  const x = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const y = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = x * y;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}
