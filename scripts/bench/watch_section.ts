/**
 * `npm run bench -- --watch [--seconds S]`: CPU of the service while people watch MJPEG (640×360 at 5 fps from one
 * 640×360 camera) with 0, 1, 10 and 30 viewers. The service here is this process (LiveStream pump, HTTP) plus its
 * JPEG encoder child; the viewers run in another process and ffmpeg is left out. Goal (design.md): 30 viewers cost
 * < 1.5 × one viewer, since each frame is encoded once whatever the number of viewers.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHttp } from '../../src/service/http/index.js';
import { LiveStream } from '../../src/stream/index.js';
import type { CameraView, ServiceStats, ServiceView } from '../../src/service/service_view.js';
import { EventEmitter } from 'node:events';

const TICK_S = 0.01; // USER_HZ 100

function childCpuS(pid: number | null): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_S;
  } catch {
    return 0;
  }
}

/** The smallest ServiceView that serves one camera. */
class OneCameraView extends EventEmitter implements ServiceView {
  constructor(private readonly stream: LiveStream) {
    super();
  }
  cameras(): CameraView[] {
    return [{ name: 'cam', width: 640, height: 360, fps: 5, ring: this.stream.name, source: this.stream.stats().source }];
  }
  stats(): ServiceStats {
    const s = this.stream.stats();
    return {
      cameras: { cam: { state: s.state, camera_fps: s.inputFps, process_fps: 0, skipped_fps: 0, detection_fps: 0, frames: s.framesIn, dropped: s.droppedFrames, restarts: s.restarts, last_error: null } },
      processes: {},
      shm: { used_bytes: 0, free_bytes: 0, slots_held: 0 },
      service: { uptime_s: 0, version: 'bench', pid: process.pid },
      bridges: {},
    };
  }
  recentEvents(): [] {
    return [];
  }
  redactedConfig(): unknown {
    return {};
  }
  isAnalysing(): boolean {
    return true;
  }
  setAnalysing(): boolean {
    return false;
  }
}

export interface WatchRow {
  viewers: number;
  cpu_percent: number;
  encoder_cpu_percent: number;
  fps_per_viewer: number;
}

function runViewers(url: string, count: number, seconds: number): Promise<number[]> {
  const path = fileURLToPath(new URL(`./mjpeg_viewers${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const child = fork(path, [url, String(count), String(seconds)], { execArgv: path.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { frames: number[] }) => resolve(m.frames));
    child.once('exit', (code) => reject(new Error(`viewer process exited with ${code}`)));
  });
}

export async function runWatchSection(opts: { seconds?: number; counts?: number[] } = {}): Promise<WatchRow[]> {
  const seconds = opts.seconds ?? 10;
  const counts = opts.counts ?? [0, 1, 10, 30];
  const stream = new LiveStream({ name: `bench-watch-${process.pid}`, source: 'synthetic://testsrc2', width: 640, height: 360, fps: 5 });
  await stream.start();
  await stream.whenState('streaming');
  const view = new OneCameraView(stream);
  const http = await startHttp(view, { port: 0, mjpeg: { maxClientsPerCamera: 64 } });
  const rows: WatchRow[] = [];
  try {
    const encoderPid = async () => (JSON.parse(await (await fetch(`${http.url}/api/stats`)).text()) as { http: { encoder_pid: number } }).http.encoder_pid;
    const pid = await encoderPid();
    for (const n of counts) {
      const url = `${http.url}/api/cameras/cam/stream.mjpeg?fps=5&height=360`;
      // Warm-up: viewers connect and the feed starts; then measure a whole run of `seconds`.
      const viewers = n > 0 ? runViewers(url, n, seconds + 2) : null;
      await new Promise((r) => setTimeout(r, 1500));
      const c0 = process.cpuUsage();
      const e0 = childCpuS(pid);
      const t0 = process.hrtime.bigint();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const c = process.cpuUsage(c0);
      const enc = childCpuS(pid) - e0;
      const frames = viewers ? await viewers : [];
      const own = (c.user + c.system) / 1e6;
      rows.push({
        viewers: n,
        cpu_percent: Math.round(((own + enc) / wall) * 1000) / 10,
        encoder_cpu_percent: Math.round((enc / wall) * 1000) / 10,
        fps_per_viewer: frames.length ? Math.round((frames.reduce((a, b) => a + b, 0) / frames.length / (seconds + 2)) * 10) / 10 : 0,
      });
      await new Promise((r) => setTimeout(r, 2500)); // the feed stops; the next run starts from cold
    }
  } finally {
    await http.close();
    await stream.stop();
  }
  return rows;
}

export function formatWatch(rows: WatchRow[]): string {
  const one = rows.find((r) => r.viewers === 1);
  const idle = rows.find((r) => r.viewers === 0);
  const lines = ['| MJPEG 640×360 at 5 fps | service CPU % (HTTP + encoder) | of which encoder | fps per viewer | × one viewer |', '|---:|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.viewers} viewers | ${r.cpu_percent.toFixed(1)} | ${r.encoder_cpu_percent.toFixed(1)} | ${r.fps_per_viewer.toFixed(1)} | ${one && one.cpu_percent > 0 ? (r.cpu_percent / one.cpu_percent).toFixed(2) : '–'} |`);
  const thirty = rows.find((r) => r.viewers === 30);
  if (one && thirty) {
    const ratio = thirty.cpu_percent / one.cpu_percent;
    lines.push('', `goal: 30 viewers < 1.5 × one viewer's CPU: ${ratio.toFixed(2)} × — ${ratio < 1.5 ? 'met' : 'MISSED'}` + (idle ? ` (idle service with the camera: ${idle.cpu_percent.toFixed(1)} %)` : ''));
  }
  return lines.join('\n');
}
