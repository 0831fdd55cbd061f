/**
 * `npm run bench -- --watch [--seconds S]`: CPU of the service while people watch MJPEG (640×360 at 5 fps from one
 * 640×360 camera) with 0, 1, 10 and 30 viewers. The service is the real one: `framering serve` in a child process on
 * a one-camera config (the built-in motion process reading it). Measured: the serve process (camera pump, service
 * core, HTTP) plus its JPEG encoder child; the viewers run in another process, and ffmpeg and the analysis process
 * are left out (they do the same work whatever the number of viewers). Goal (design.md): 30 viewers cost
 * < 1.5 × one viewer, since each frame is encoded once whatever the number of viewers.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TICK_S = 0.01; // USER_HZ 100

const CONFIG = `cameras:
  cam: { source: synthetic://testsrc2, width: 640, height: 360, fps: 5 }
processes:
  - name: motion
    class: motion
http:
  mjpeg: { maxClientsPerCamera: 64 }
`;

function cpuS(pid: number | null): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_S;
  } catch {
    return 0;
  }
}

/** `framering serve --config FILE --port 0` as a user runs it; resolves with the URL it prints. */
async function startServe(config: string): Promise<{ child: ChildProcess; url: string }> {
  const ts = extname(fileURLToPath(import.meta.url)) === '.ts';
  const cli = fileURLToPath(new URL(ts ? '../../src/service/cli.ts' : '../../src/service/cli.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [...(ts ? ['--import', 'tsx'] : []), cli, 'serve', '--config', config, '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const end = Date.now() + 60_000;
  for (;;) {
    const m = /framering: open (http:\/\/\S+?)\/?(\s|$)/.exec(out);
    if (m) return { child, url: m[1]! };
    if (child.exitCode !== null || Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error('framering serve did not start (see its messages above)');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await done;
  clearTimeout(timer);
}

export interface WatchRow {
  viewers: number;
  cpu_percent: number;
  encoder_cpu_percent: number;
  fps_per_viewer: number;
}

function runViewers(url: string, count: number, seconds: number): Promise<number[]> {
  const path = fileURLToPath(new URL(`./mjpeg_viewers${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const child = fork(path, [url, String(count), String(seconds)], {
    execArgv: path.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { frames: number[] }) => resolve(m.frames));
    child.once('exit', (code) => reject(new Error(`viewer process exited with ${code}`)));
  });
}

export async function runWatchSection(opts: { seconds?: number; counts?: number[] } = {}): Promise<WatchRow[]> {
  const seconds = opts.seconds ?? 10;
  const counts = opts.counts ?? [0, 1, 10, 30];
  const dir = mkdtempSync(join(tmpdir(), 'framering-bench-watch-'));
  const config = join(dir, 'one-camera.yaml');
  writeFileSync(config, CONFIG);
  const { child, url } = await startServe(config);
  const rows: WatchRow[] = [];
  try {
    const stats = async () =>
      JSON.parse(await (await fetch(`${url}/api/stats`)).text()) as {
        service: { pid: number };
        http: { encoder_pid: number };
      };
    // Let the camera and the analysis settle before the first measurement.
    await new Promise((r) => setTimeout(r, 3000));
    const s = await stats();
    const servicePid = s.service.pid;
    const encoderPid = s.http.encoder_pid;
    for (const n of counts) {
      const stream = `${url}/api/cameras/cam/stream.mjpeg?fps=5&height=360`;
      // Warm-up: viewers connect and the feed starts; then measure a whole run of `seconds`.
      const viewers = n > 0 ? runViewers(stream, n, seconds + 2) : null;
      await new Promise((r) => setTimeout(r, 1500));
      const c0 = cpuS(servicePid);
      const e0 = cpuS(encoderPid);
      const t0 = process.hrtime.bigint();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const own = cpuS(servicePid) - c0;
      const enc = cpuS(encoderPid) - e0;
      const frames = viewers !== null ? await viewers : [];
      rows.push({
        viewers: n,
        cpu_percent: Math.round(((own + enc) / wall) * 1000) / 10,
        encoder_cpu_percent: Math.round((enc / wall) * 1000) / 10,
        fps_per_viewer: frames.length
          ? Math.round((frames.reduce((a, b) => a + b, 0) / frames.length / (seconds + 2)) * 10) / 10
          : 0,
      });
      await new Promise((r) => setTimeout(r, 2500)); // the feed stops; the next run starts from cold
    }
  } finally {
    await stopServe(child);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function formatWatch(rows: WatchRow[]): string {
  const one = rows.find((r) => r.viewers === 1);
  const idle = rows.find((r) => r.viewers === 0);
  const lines = [
    '| MJPEG 640×360 at 5 fps | framering serve CPU % (serve process + encoder) | of which encoder | ' +
      'fps per viewer | × one viewer |',
    '|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.viewers} viewers | ${r.cpu_percent.toFixed(1)} | ${r.encoder_cpu_percent.toFixed(1)} | ` +
        `${r.fps_per_viewer.toFixed(1)} | ` +
        `${one && one.cpu_percent > 0 ? (r.cpu_percent / one.cpu_percent).toFixed(2) : '–'} |`,
    );
  const thirty = rows.find((r) => r.viewers === 30);
  if (one && thirty) {
    const ratio = thirty.cpu_percent / one.cpu_percent;
    lines.push(
      '',
      `goal: 30 viewers < 1.5 × one viewer's CPU: ${ratio.toFixed(2)} × — ${ratio < 1.5 ? 'met' : 'MISSED'}` +
        `${idle ? ` (idle service with the camera: ${idle.cpu_percent.toFixed(1)} %)` : ''}`,
    );
  }
  return lines.join('\n');
}
