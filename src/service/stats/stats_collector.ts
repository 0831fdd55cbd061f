// The service's stats, Frigate's names: per camera camera_fps (frames in from ffmpeg), process_fps (frames its
// readers analysed), skipped_fps (frames its readers skipped), detection_fps (frames the master analysed); per
// process pid, CPU %, RSS, frames, replies; /dev/shm used and free, and ring slots held.
//
// stats() must answer at once (an HTTP request, a metrics scrape), but process counters live in the children: they
// are polled once a second here, and stats() combines the last poll with the cameras' own (synchronous) stats.

import { RateMeter } from '../../stream/rate_meter.js';
import type { ClientProcessStats, RGB24RingStats } from '../../process/index.js';
import type { CameraStats, ProcessStats, ServiceStats } from '../service_view.js';
import type { ServiceRedactor } from '../service_redactor.js';
import type { RunningProcess, Topology } from '../topology.js';
import { cpuPercent, sampleUsage, type UsageSample } from './process_usage.js';
import { shmUsage } from './shm_usage.js';

const POLL_MS = 1000;
const POLL_TIMEOUT_MS = 2000;
/** CPU % over the last few polls: /proc counts 10 ms ticks, so over one second a light process reads 0 % or 1 %. */
const CPU_WINDOW_POLLS = 5;

interface ProcessPoll {
  rings: Record<string, RGB24RingStats>;
  replies: number;
  forwardHeld: number;
  usage: UsageSample | null;
  /** The last CPU_WINDOW_POLLS + 1 usage samples, oldest first. */
  history: UsageSample[];
  cpuPercent: number;
}

/** Per camera: cumulative counters sampled at each poll, turned into rates. */
interface CameraRates {
  analysed: RateMeter;
  skipped: RateMeter;
  detected: RateMeter;
}

export class StatsCollector {
  private readonly polls = new Map<string, ProcessPoll>();
  private readonly rates = new Map<string, CameraRates>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly startedMs = Date.now();

  constructor(
    private readonly topology: Topology,
    private readonly redactor: ServiceRedactor,
    private readonly version: string,
  ) {
    for (const c of topology.cameras)
      this.rates.set(c.plan.name, { analysed: new RateMeter(), skipped: new RateMeter(), detected: new RateMeter() });
  }

  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  stats(): ServiceStats {
    const cameras: Record<string, CameraStats> = {};
    let held = 0;
    for (const c of this.topology.cameras) {
      const s = c.stream.stats();
      const r = this.rates.get(c.plan.name)!;
      for (const reader of c.stream.ringStats()?.readers ?? []) held += reader.held;
      cameras[c.plan.name] = {
        state: s.state,
        camera_fps: s.inputFps,
        process_fps: round1(r.analysed.rate()),
        skipped_fps: round1(r.skipped.rate()),
        detection_fps: round1(r.detected.rate()),
        frames: s.framesDelivered,
        dropped: s.droppedFrames,
        restarts: s.restarts,
        last_error: s.lastError ? this.redactor.redact(s.lastError.message) : null,
        detection_enabled: true, // the service knows better and says so (Service.stats)
      };
    }
    const processes: Record<string, ProcessStats> = {};
    for (const p of this.topology.processes) {
      const poll = this.polls.get(p.plan.name);
      const running = p.process.state === 'running';
      if (running) held += poll?.forwardHeld ?? 0;
      processes[p.plan.name] = {
        pid: p.process.pid,
        state: p.process.state,
        cpu_percent: running ? (poll?.cpuPercent ?? 0) : 0,
        rss_bytes: running ? (poll?.usage?.rssBytes ?? 0) : 0,
        frames: poll ? sum(Object.values(poll.rings).map((r) => r.handled)) : 0,
        replies: poll?.replies ?? 0,
      };
    }
    return {
      cameras,
      processes,
      shm: { ...shmUsage(), slots_held: held },
      service: {
        uptime_s: Math.round((Date.now() - this.startedMs) / 100) / 10,
        version: this.version,
        pid: process.pid,
      },
      bridges: this.topology.bridgeStats(),
    };
  }

  private poll(): Promise<void> {
    if (this.polling !== null) return this.polling;
    this.polling = (async () => {
      await Promise.all(this.topology.processes.map((p) => this.pollProcess(p)));
      // A master's replies are what its clients received.
      for (const m of this.topology.processes.filter((x) => x.plan.role === 'master')) {
        const poll = this.polls.get(m.plan.name);
        if (poll) poll.replies = sum([...m.clientCameras.keys()].map((c) => this.polls.get(c)?.replies ?? 0));
      }
      this.sampleRates();
    })().finally(() => (this.polling = null));
    return this.polling;
  }

  private async pollProcess(p: RunningProcess): Promise<void> {
    if (p.process.state !== 'running' || p.process.pid === null) return;
    const previous = this.polls.get(p.plan.name);
    const usage = sampleUsage(p.process.pid);
    try {
      const stats = (await withTimeout(
        (p.process as unknown as { backend: { getStats(): Promise<unknown> } }).backend.getStats(),
        POLL_TIMEOUT_MS,
      )) as Partial<ClientProcessStats>;
      const replies = p.plan.role === 'client' ? (stats.messages?.handled ?? 0) : 0;
      // Forward slots the master holds; by reference, the camera frames the client keeps held for its master.
      const forwardHeld = sum((stats.forward?.readers ?? []).map((r) => r.held)) + (stats.forward?.holding ?? 0);
      const history = [...(previous?.history ?? []), ...(usage ? [usage] : [])].slice(-(CPU_WINDOW_POLLS + 1));
      this.polls.set(p.plan.name, {
        rings: stats.rings ?? {},
        replies,
        forwardHeld,
        usage,
        history,
        cpuPercent: cpuPercent(history[0] ?? null, usage),
      });
    } catch {
      // A busy or exiting process: keep its last counts.
    }
  }

  private sampleRates(): void {
    const now = performance.now();
    // Clients whose master is remote: what the remote master answered them is this camera's detection.
    const remote = this.topology.nats?.repliesByClient() ?? new Map<string, number>();
    for (const c of this.topology.cameras) {
      const name = c.plan.name;
      let analysed = 0;
      let skipped = 0;
      let detected = 0;
      for (const p of this.topology.processes) {
        const rings = this.polls.get(p.plan.name)?.rings ?? {};
        if (p.plan.role === 'master') {
          for (const [client, camera] of p.clientCameras) if (camera === name) detected += rings[client]?.handled ?? 0;
        } else if (p.plan.role === 'client' && p.group.remote !== null && p.plan.cameras[0] === name) {
          detected += remote.get(p.plan.name) ?? 0;
        }
        if (p.plan.role !== 'master' && rings[name]) {
          // Several groups may read one camera: the busiest reader says how much of it was analysed.
          analysed = Math.max(analysed, rings[name].handled);
          skipped = Math.max(skipped, rings[name].dropped);
        }
      }
      const r = this.rates.get(name)!;
      r.analysed.sample(now, analysed);
      r.skipped.sample(now, skipped);
      r.detected.sample(now, detected);
    }
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function round1(v: number): number {
  // A counter that went back (a process that exited) is no negative rate.
  return Math.max(0, Math.round(v * 10) / 10);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
