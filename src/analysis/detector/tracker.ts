// A simple IoU tracker per camera: a detection of the same label overlapping a live track by at least `minIou`
// continues it; others start new tracks; a track not seen for `maxAgeMs` ends. So a person who stays in view is one
// 'new' event and, once gone, one 'end' event, not one event per frame (Frigate's new/end events).

import type { Detection } from './object_detector.js';
import { iou } from './nms.js';

export interface TrackEvent {
  type: 'new' | 'end';
  id: number;
  label: string;
  score: number;
  box: Detection['box'];
  /** When the track started and when it was last seen (ms since the epoch). */
  startMs: number;
  lastMs: number;
}

interface Track {
  id: number;
  label: string;
  score: number;
  box: Detection['box'];
  startMs: number;
  lastMs: number;
}

export class IouTracker {
  private tracks: Track[] = [];
  private nextId = 1;

  constructor(
    private readonly minIou = 0.3,
    private readonly maxAgeMs = 3000,
    private readonly maxTracks = 64,
  ) {}

  /** Folds one frame's detections in; returns the tracks that started and those that ended. */
  update(objects: readonly Detection[], nowMs = Date.now()): TrackEvent[] {
    const events: TrackEvent[] = [];
    const taken = new Set<Track>();
    for (const o of objects) {
      let best: Track | null = null;
      let bestIou = this.minIou;
      for (const t of this.tracks) {
        if (t.label !== o.label || taken.has(t)) continue;
        const v = iou(t.box, o.box);
        if (v >= bestIou) {
          best = t;
          bestIou = v;
        }
      }
      if (best) {
        best.box = o.box;
        best.score = Math.max(best.score, o.score);
        best.lastMs = nowMs;
        taken.add(best);
      } else if (this.tracks.length < this.maxTracks) {
        const t: Track = {
          id: this.nextId++,
          label: o.label,
          score: o.score,
          box: o.box,
          startMs: nowMs,
          lastMs: nowMs,
        };
        this.tracks.push(t);
        taken.add(t);
        events.push({ type: 'new', ...t });
      }
    }
    events.push(...this.expire(nowMs));
    return events;
  }

  /** Ends the tracks not seen for maxAgeMs (also call it when no frame comes). */
  expire(nowMs = Date.now()): TrackEvent[] {
    const ended = this.tracks.filter((t) => nowMs - t.lastMs > this.maxAgeMs);
    if (ended.length === 0) return [];
    this.tracks = this.tracks.filter((t) => nowMs - t.lastMs <= this.maxAgeMs);
    return ended.map((t) => ({ type: 'end' as const, ...t }));
  }

  get active(): number {
    return this.tracks.length;
  }
}
