// A real ServiceView for the HTTP tests, built from real parts: LiveStreams (synthetic or RTSP cameras), one
// ObjectsProcess reading every camera and reporting boxes, stats read from them and from /proc. Small on purpose:
// the service core's own view replaces it at merge.
import { EventEmitter } from 'node:events';
import { readFileSync, statfsSync } from 'node:fs';
import { LiveStream } from '../../src/stream/index.js';
import { listSegments } from '../../src/shm/index.js';
import type { CameraView, FrameringEvent, ServiceStats, ServiceView } from '../../src/service/service_view.js';
import { ObjectsProcess } from './objects_process.js';

export interface TestCamera {
  name: string;
  source: string;
  width?: number;
  height?: number;
  fps?: number;
}

const TICKS = 100; // USER_HZ on Linux

function procTimes(pid: number): { cpuS: number; rss: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rssPages = Number(f[21]);
    return { cpuS: (Number(f[11]) + Number(f[12])) / TICKS, rss: rssPages * 4096 };
  } catch {
    return null;
  }
}

export class TestServiceView extends EventEmitter implements ServiceView {
  readonly streams: LiveStream[] = [];
  private proc: ObjectsProcess | null = null;
  private readonly events: FrameringEvent[] = [];
  private framesHandled = 0;
  private cpu = { atMs: 0, cpuS: 0, percent: 0 };
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = Date.now();
  /** Cameras whose analysis events are not published (a test publishes its own). */
  readonly muted = new Set<string>();

  private constructor(private readonly cams: Required<TestCamera>[], private readonly ringPrefix: string) {
    super();
  }

  static async start(cameras: TestCamera[], opts: { analysis?: boolean } = {}): Promise<TestServiceView> {
    const prefix = `http-test-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
    const cams = cameras.map((c) => ({ width: 320, height: 240, fps: 10, ...c }));
    const view = new TestServiceView(cams, prefix);
    try {
      for (const c of cams) {
        const s = new LiveStream({ name: `${prefix}-${c.name}`, source: c.source, width: c.width, height: c.height, fps: c.fps, slots: 6 });
        view.streams.push(s);
        await s.start();
      }
      await Promise.all(view.streams.map((s) => s.whenState('streaming', 30_000)));
      if (opts.analysis !== false) {
        const p = new ObjectsProcess({ name: 'objects' });
        view.proc = p;
        p.on('objects', (e: Omit<FrameringEvent, 'kind' | 'source'>) => {
          const camera = view.nameOfRing(e.camera);
          if (!view.muted.has(camera)) view.publish({ ...e, camera, kind: 'objects', source: 'objects' });
        });
        await p.start();
        for (const s of view.streams) await p.backend.activateRGB24Client(s.pars(), { source: s.name });
        view.timer = setInterval(() => void view.poll(), 500);
      }
    } catch (err) {
      await view.stop();
      throw err;
    }
    return view;
  }

  /** Emits an event as the service core does (tests also use it to inject one). */
  publish(ev: FrameringEvent): void {
    this.events.push(ev);
    if (this.events.length > 200) this.events.splice(0, this.events.length - 200);
    this.emit('event', ev);
  }

  private nameOfRing(ring: string): string {
    return ring.startsWith(`${this.ringPrefix}-`) ? ring.slice(this.ringPrefix.length + 1) : ring;
  }

  private async poll(): Promise<void> {
    try {
      this.framesHandled = (await this.proc?.backend.counts())?.frames ?? this.framesHandled;
    } catch {
      /* stopping */
    }
    const pid = this.proc?.pid;
    const t = pid ? procTimes(pid) : null;
    if (t) {
      const now = Date.now();
      if (this.cpu.atMs) this.cpu.percent = Math.round((1000 * (t.cpuS - this.cpu.cpuS)) / (now - this.cpu.atMs) * 100) / 10;
      this.cpu.atMs = now;
      this.cpu.cpuS = t.cpuS;
    }
  }

  cameras(): CameraView[] {
    return this.cams.map((c, i) => ({
      name: c.name,
      width: c.width,
      height: c.height,
      fps: c.fps,
      ring: this.streams[i]!.name,
      source: this.streams[i]!.stats().source,
    }));
  }

  stats(): ServiceStats {
    const cameras: ServiceStats['cameras'] = {};
    this.cams.forEach((c, i) => {
      const s = this.streams[i]!.stats();
      cameras[c.name] = {
        state: s.state,
        camera_fps: s.inputFps,
        process_fps: this.proc ? s.deliveredFps : 0,
        skipped_fps: Math.max(0, Math.round((s.inputFps - s.deliveredFps) * 10) / 10),
        detection_fps: 0,
        frames: s.framesIn,
        dropped: s.droppedFrames,
        restarts: s.restarts,
        last_error: s.lastError?.message ?? null,
      };
    });
    const processes: ServiceStats['processes'] = {};
    if (this.proc) {
      const pid = this.proc.pid;
      processes[this.proc.name] = {
        pid,
        state: this.proc.state,
        cpu_percent: this.cpu.percent,
        rss_bytes: (pid && procTimes(pid)?.rss) || 0,
        frames: this.framesHandled,
        replies: 0,
      };
    }
    const ours = listSegments().filter((s) => s.segment.includes(this.ringPrefix));
    const fs = statfsSync('/dev/shm');
    return {
      cameras,
      processes,
      shm: { used_bytes: ours.reduce((n, s) => n + (s.bytes ?? 0), 0), free_bytes: fs.bavail * fs.bsize, slots_held: 0 },
      service: { uptime_s: Math.round((Date.now() - this.startedAt) / 1000), version: '0.1.0-test', pid: process.pid },
    };
  }

  recentEvents(limit: number): FrameringEvent[] {
    return this.events.slice(-limit);
  }

  redactedConfig(): unknown {
    return { cameras: this.cameras().map((c) => ({ name: c.name, source: c.source, width: c.width, height: c.height, fps: c.fps })) };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.proc?.stop().catch(() => {});
    await Promise.all(this.streams.map((s) => s.stop()));
  }
}
