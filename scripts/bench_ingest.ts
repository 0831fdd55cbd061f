// Ingest CPU at 1080p30: what framering spends beyond ffmpeg's own CPU to get decoded frames into a ring.
//   framering:  ffmpeg → native pipe → RingPump (native thread) → ring slot      (LiveStream, synthetic source)
//   naive:      ffmpeg → fluent-ffmpeg stdout stream → Buffer chunks → copy into a frame → FrameRingServer.write
// Both in the same run, same ffmpeg, same source. Two sources: ffmpeg's synthetic testsrc2 (cheap to generate, so
// the ratio is pessimistic) and a looped 1080p H.264 clip decoded in real time (what a camera costs ffmpeg). Our side: process.cpuUsage() (all threads of this process);
// ffmpeg's: utime+stime from /proc/<pid>/stat. Goal: framering's ingest ≤ 5% of ffmpeg's CPU.
// Run alone: `npx tsx scripts/bench_ingest.ts [seconds] [synthetic|h264]`; scripts/bench.ts calls benchIngest().
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import ffmpeg from 'fluent-ffmpeg';
import { FrameRingServer } from '../src/shm/index.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseSource, type SourceSpec } from '../src/stream/camera_source.js';
import { resolveFfmpeg } from '../src/stream/ffmpeg_binary.js';
import { probeFfmpeg } from '../src/stream/ffmpeg_capabilities.js';
import { buildFfmpegArgs } from '../src/stream/ffmpeg_command.js';
import { LiveStream } from '../src/stream/live_stream.js';

export interface IngestRow {
  name: string;
  /** CPU seconds ffmpeg used during the measured window. */
  ffmpeg_cpu_s: number;
  /** CPU seconds this process used during the window (JS, native pump, ring writes). */
  ingest_cpu_s: number;
  /** ingest_cpu_s / ffmpeg_cpu_s. */
  ratio: number;
  /** Frames that reached the ring during the window, and per second. */
  frames: number;
  fps: number;
}

export interface IngestBenchOptions {
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Measuring starts after this warm-up (ms). */
  warmupMs?: number;
  /** Which sources to measure (default both). */
  sources?: Array<'synthetic' | 'h264'>;
}

type Opts = Required<IngestBenchOptions> & { source: SourceSpec; label: string };

// Linux reports /proc times in clock ticks; USER_HZ is 100 on every mainstream architecture.
const CLOCK_TICKS_PER_S = 100;

function ffmpegCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ": field 3 is state, so utime (14) and stime (15) are at indexes 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Measures a window of `seconds` while frames flow: CPU of this process and of ffmpeg, and frames delivered. */
async function measure(name: string, pid: number, framesSoFar: () => number, seconds: number): Promise<IngestRow> {
  const ff0 = ffmpegCpuSeconds(pid);
  const own0 = ownCpuSeconds();
  const frames0 = framesSoFar();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const ff = ffmpegCpuSeconds(pid) - ff0;
  const own = ownCpuSeconds() - own0;
  const frames = framesSoFar() - frames0;
  const dt = (performance.now() - t0) / 1000;
  return { name, ffmpeg_cpu_s: round(ff), ingest_cpu_s: round(own), ratio: round(ff > 0 ? own / ff : NaN, 4), frames, fps: round(frames / dt, 1) };
}

async function benchPump(o: Opts): Promise<IngestRow> {
  const stream = new LiveStream({ source: o.source, width: o.width, height: o.height, fps: o.fps, name: `bench-ingest-pump-${process.pid}` });
  try {
    await stream.start();
    await stream.whenState('streaming', 30_000);
    await sleep(o.warmupMs);
    const pid = stream.stats().ffmpegPid;
    if (!pid) throw new Error('ffmpeg is not running');
    return await measure(`framering ${o.label}: native pipe → RingPump → ring slot`, pid, () => stream.stats().framesDelivered, o.seconds);
  } finally {
    await stream.stop();
  }
}

async function benchNaive(o: Opts): Promise<IngestRow> {
  const { path } = resolveFfmpeg();
  // The same ffmpeg arguments as LiveStream's, run through fluent-ffmpeg's own runner with a JS stdout stream.
  const args = buildFfmpegArgs(parseSource(o.source), o, await probeFfmpeg(path));
  const inputAt = args.indexOf('-i');
  const command = ffmpeg()
    .setFfmpegPath(path)
    .input(args[inputAt + 1]!)
    .inputOptions(...args.slice(0, inputAt))
    .outputOptions(...args.slice(inputAt + 2, -1));
  const ring = new FrameRingServer({ name: `bench-ingest-naive-${process.pid}`, width: o.width, height: o.height, slots: 8 });
  const frameBytes = o.width * o.height * 3;
  const frame = Buffer.allocUnsafe(frameBytes);
  let filled = 0;
  let frames = 0;
  let pid = 0;
  const started = new Promise<void>((resolve, reject) => {
    command.once('start', () => resolve());
    command.once('error', (err: Error) => {
      if (!/SIGKILL|SIGTERM/.test(err.message)) reject(err);
    });
  });
  const out = command.pipe();
  out.on('data', (chunk: Buffer) => {
    // Chunks do not line up with frames: gather them into one frame buffer, then copy it into a slot.
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(frameBytes - filled, chunk.length - at);
      chunk.copy(frame, filled, at, at + n);
      filled += n;
      at += n;
      if (filled === frameBytes) {
        ring.write(frame);
        frames++;
        filled = 0;
      }
    }
  });
  try {
    await started;
    pid = (command as unknown as { ffmpegProc: { pid: number } }).ffmpegProc.pid;
    const deadline = Date.now() + 30_000;
    while (frames === 0 && Date.now() < deadline) await sleep(50);
    await sleep(o.warmupMs);
    return await measure(`naive ${o.label}: fluent-ffmpeg stream → Buffer → ring.write`, pid, () => frames, o.seconds);
  } finally {
    command.kill('SIGKILL');
    await new Promise<void>((resolve) => {
      const proc = (command as unknown as { ffmpegProc?: { exitCode: number | null; signalCode: string | null; once: (e: string, f: () => void) => void } }).ffmpegProc;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    ring.close();
  }
}

/** A short 1080p H.264 clip, made with the same ffmpeg, looped in real time as a camera stand-in. */
async function makeClip(dir: string, o: Required<IngestBenchOptions>): Promise<string> {
  const file = join(dir, 'clip.mp4');
  await promisify(execFile)(resolveFfmpeg().path, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i',
    `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`, '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast',
    '-pix_fmt', 'yuv420p', '-y', file]);
  return file;
}

/** Runs both ingest paths, one after the other, for each source; one row each. */
export async function benchIngest(opts: IngestBenchOptions = {}): Promise<IngestRow[]> {
  const o: Required<IngestBenchOptions> = { seconds: 10, width: 1920, height: 1080, fps: 30, warmupMs: 1500, sources: ['synthetic', 'h264'],
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
  const rows: IngestRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'framering-bench-ingest-'));
  try {
    for (const kind of o.sources) {
      const source: SourceSpec = kind === 'synthetic' ? 'synthetic://testsrc2' : { kind: 'file', path: await makeClip(dir, o), loop: true, realtime: true };
      const run: Opts = { ...o, source, label: kind === 'synthetic' ? 'testsrc2' : 'h264 decode' };
      rows.push(await benchPump(run), await benchNaive(run));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.argv[2] ?? 10);
  const sources = process.argv[3] ? [process.argv[3] as 'synthetic' | 'h264'] : undefined;
  const rows = await benchIngest({ seconds, sources });
  console.log(`ingest CPU at 1920x1080 RGB24 30 fps, ${seconds} s each (goal: framering ratio <= 0.05)`);
  console.table(rows);
}
