/** The reader side's bookkeeping: checks each frame's marks and keeps its receive time and latency. */
import { nowUs } from './clock.js';
import { checkFrame } from './frame_marks.js';
import { HopRecorder } from './hop_recorder.js';
import type { MeasureWindow, ReaderResult } from './reader_roles.js';
import { SampleList, summarize } from './stats.js';

export class FrameRecorder {
  private readonly receivedAt = new SampleList();
  private readonly latencies = new SampleList();
  private readonly metaLatencies = new SampleList();
  private torn = 0;
  /** Per-hop times (--hops), filled by the transport's reader side. */
  readonly hops = new HopRecorder();
  private cpuAtFirst: NodeJS.CpuUsage | null = null;

  /** Checks one frame; returns false when its marks disagree. */
  record(bytes: Uint8Array, metaTimestampUs?: number): boolean {
    const check = checkFrame(bytes);
    this.cpuAtFirst ??= process.cpuUsage();
    if (metaTimestampUs !== undefined) {
      // CLOCK_REALTIME now, µs: performance.timeOrigin is the realtime of this process's start.
      const realtimeUs = (performance.timeOrigin + performance.now()) * 1000;
      this.metaLatencies.push(realtimeUs - metaTimestampUs);
    } else {
      this.metaLatencies.push(NaN);
    }
    this.receivedAt.push(nowUs());
    this.latencies.push(check.latencyUs);
    if (!check.intact) this.torn++;
    return check.intact;
  }

  /** CPU time of this whole process (all its threads) per frame, since the first frame. */
  private cpuPerFrame(): number | null {
    if (!this.cpuAtFirst || this.receivedAt.length < 2) return null;
    const used = process.cpuUsage(this.cpuAtFirst);
    return (used.user + used.system) / (this.receivedAt.length - 1);
  }

  result(window: MeasureWindow, dropped: number | null): ReaderResult {
    const at = this.receivedAt.values();
    const lat = this.latencies.values();
    const meta = this.metaLatencies.values();
    const inside: number[] = [];
    const insideMeta: number[] = [];
    for (let i = 0; i < at.length; i++) {
      if (at[i] < window.fromUs || at[i] > window.toUs) continue;
      inside.push(lat[i]);
      if (!Number.isNaN(meta[i])) insideMeta.push(meta[i]);
    }
    return {
      received: at.length,
      inWindow: inside.length,
      torn: this.torn,
      dropped,
      latency: summarize(inside),
      metaLatency: insideMeta.length ? summarize(insideMeta) : undefined,
      cpuUsPerFrame: this.cpuPerFrame(),
      hops: this.hops.result(window.fromUs, window.toUs),
    };
  }
}
