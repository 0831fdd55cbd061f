// Ingest CPU at 1080p30: what framering spends beyond ffmpeg's own CPU to get decoded frames into a ring, against
// the floor measured in the same run (issue 13 section 2):
//   floor:      ffmpeg → pipe (64 KiB, as the pump's) → scripts/bench/read_floor.c: read() into one buffer
//   framering:  ffmpeg → native pipe → RingPump (native thread) → ring slot      (LiveStream)
//   naive:      ffmpeg → fluent-ffmpeg stdout stream → Buffer chunks → copy into a frame → FrameRingServer.write
// Same ffmpeg arguments (LiveStream's), same source, one after the other, in rounds (floor, pump, naive, floor, ...).
// Two sources: ffmpeg's synthetic testsrc2 and a looped 1080p H.264 clip decoded in real time. CPU in ns from
// /proc/<pid>/task/*/schedstat (ffmpeg, this process), the pump thread's own (named framering-pump), and the floor's
// CLOCK_PROCESS_CPUTIME_ID; compared per frame. Goals: pump ≤ 1.15 × floor, ≤ 0.5 × naive.
// Also the CPU split inside ffmpeg: decode alone, + conversion to rgb24, + scaling, and a source that is rgb24 at
// the output size already (ffmpeg -benchmark, as fast as it goes).
// Run alone: `npx tsx scripts/bench_ingest.ts [seconds] [synthetic|h264]`; scripts/bench.ts calls benchIngest().
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ffmpeg from 'fluent-ffmpeg';
import { FrameRingServer } from '../src/shm/index.js';
import { parseSource, type SourceSpec } from '../src/stream/camera_source.js';
import { resolveFfmpeg } from '../src/stream/ffmpeg_binary.js';
import { probeFfmpeg } from '../src/stream/ffmpeg_capabilities.js';
import { buildFfmpegArgs } from '../src/stream/ffmpeg_command.js';
import { LiveStream } from '../src/stream/live_stream.js';
import { compileFloor, processCpuNs, startFloor, threadCpuNs } from './bench/read_floor.js';
import { median } from './bench/rows.js';

export interface IngestRow {
  name: string;
  frames_per_s: number | null;
  p50_us: null;
  p99_us: null;
  /** Which path: floor, framering, naive, or ffmpeg (the CPU split). */
  path: string;
  source: string;
  /** Our side's CPU per frame (the floor's own, the pump process's, the naive process's), median of the rounds. */
  cpu_us_per_frame: number;
  cpu_us_per_frame_runs: number[];
  /** ffmpeg's CPU per frame in the same windows. */
  ffmpeg_us_per_frame: number | null;
  /** The pump thread alone (framering rows). */
  pump_thread_us_per_frame?: number;
  /** Same-round ratios against the floor (median, and each round's), and against the naive path. */
  floor_ratio?: number;
  floor_ratio_runs?: number[];
  /** The spread of the same-round ratios (issue 13 §3): single rounds swing with the shared machine's load. */
  floor_ratio_min?: number;
  floor_ratio_max?: number;
  floor_ratio_p25?: number;
  floor_ratio_p75?: number;
  load_avg_1m_runs?: number[];
  /** The pump against the floor writing 8 rotating shared buffers (where the pump writes), same round. */
  ring_floor_ratio?: number;
  ring_floor_ratio_runs?: number[];
  /** The pump against the floor writing 2 rotating shared buffers (the fewest any ring has), same round. */
  two_floor_ratio?: number;
  two_floor_ratio_runs?: number[];
  floor_us_per_frame?: number;
  naive_ratio?: number;
  /** Old column: our CPU / ffmpeg's. */
  ratio?: number;
  note?: string;
  load_avg_1m?: number;
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
  /** Rounds of floor, pump, naive (default 2). */
  rounds?: number;
  /** Also the ffmpeg CPU split rows (default true). */
  split?: boolean;
}

type Opts = Required<IngestBenchOptions> & { source: SourceSpec; label: string; floorBinary: string };

/** One measured window: frames and CPU ns on our side, ffmpeg's, and the pump thread's. */
interface Window {
  frames: number;
  seconds: number;
  ourNs: number;
  ffmpegNs: number;
  pumpNs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(
  ffmpegPid: number,
  sample: () => Promise<{ frames: number; ourNs: number; pumpNs?: number }>,
  seconds: number,
): Promise<Window> {
  const ff0 = processCpuNs(ffmpegPid);
  const a = await sample();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const b = await sample();
  const ff = processCpuNs(ffmpegPid) - ff0;
  return {
    frames: b.frames - a.frames,
    seconds: (performance.now() - t0) / 1000,
    ourNs: b.ourNs - a.ourNs,
    ffmpegNs: ff,
    pumpNs: a.pumpNs !== undefined && b.pumpNs !== undefined ? b.pumpNs - a.pumpNs : undefined,
  };
}

async function waitFrames(frames: () => number | Promise<number>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await frames()) === 0) {
    if (Date.now() > deadline) throw new Error('no frame within 30 s');
    await sleep(50);
  }
}

async function ffmpegArgs(o: Opts): Promise<string[]> {
  return buildFfmpegArgs(parseSource(o.source), o, await probeFfmpeg(resolveFfmpeg().path));
}

async function benchFloor(o: Opts, buffers = 1, shm = false): Promise<Window> {
  const run = await startFloor(
    o.floorBinary,
    resolveFfmpeg().path,
    await ffmpegArgs(o),
    o.width * o.height * 3,
    buffers,
    shm,
  );
  try {
    await waitFrames(async () => (await run.sample()).frames);
    await sleep(o.warmupMs);
    return await measure(
      run.ffmpegPid,
      async () => {
        const s = await run.sample();
        return { frames: s.frames, ourNs: s.cpuNs };
      },
      o.seconds,
    );
  } finally {
    await run.stop();
  }
}

async function benchPump(o: Opts): Promise<Window> {
  const stream = new LiveStream({
    source: o.source,
    width: o.width,
    height: o.height,
    fps: o.fps,
    name: `bench-ingest-pump-${process.pid}`,
  });
  try {
    await stream.start();
    await stream.whenState('streaming', 30_000);
    await sleep(o.warmupMs);
    const pid = stream.stats().ffmpegPid;
    if (!pid) throw new Error('ffmpeg is not running');
    return await measure(
      pid,
      async () => ({
        frames: stream.stats().framesDelivered,
        ourNs: processCpuNs('self'),
        pumpNs: threadCpuNs('framering-pump') ?? undefined,
      }),
      o.seconds,
    );
  } finally {
    await stream.stop();
  }
}

async function benchNaive(o: Opts): Promise<Window> {
  const { path } = resolveFfmpeg();
  // The same ffmpeg arguments as LiveStream's, run through fluent-ffmpeg's own runner with a JS stdout stream.
  const args = await ffmpegArgs(o);
  const inputAt = args.indexOf('-i');
  const command = ffmpeg()
    .setFfmpegPath(path)
    .input(args[inputAt + 1]!)
    .inputOptions(...args.slice(0, inputAt))
    .outputOptions(...args.slice(inputAt + 2, -1));
  const ring = new FrameRingServer({
    name: `bench-ingest-naive-${process.pid}`,
    width: o.width,
    height: o.height,
    slots: 8,
  });
  const frameBytes = o.width * o.height * 3;
  const frame = Buffer.allocUnsafe(frameBytes);
  let filled = 0;
  let frames = 0;
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
    const pid = (command as unknown as { ffmpegProc: { pid: number } }).ffmpegProc.pid;
    await waitFrames(() => frames);
    await sleep(o.warmupMs);
    return await measure(pid, async () => ({ frames, ourNs: processCpuNs('self') }), o.seconds);
  } finally {
    command.kill('SIGKILL');
    await new Promise<void>((resolve) => {
      const proc = (
        command as unknown as {
          ffmpegProc?: { exitCode: number | null; signalCode: string | null; once: (e: string, f: () => void) => void };
        }
      ).ffmpegProc;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    ring.close();
  }
}

/** A short 1080p H.264 clip, made with the same ffmpeg, looped in real time as a camera stand-in. */
async function makeClip(dir: string, o: Required<IngestBenchOptions>): Promise<string> {
  const file = join(dir, 'clip.mp4');
  await promisify(execFile)(resolveFfmpeg().path, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`,
    '-t',
    '4',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-y',
    file,
  ]);
  return file;
}

/**
 * ffmpeg's own CPU per frame (-benchmark: utime + stime at the end), as fast as it goes, for `frames` frames of
 * 1080p: where ffmpeg's CPU goes before a byte reaches the pipe.
 */
async function ffmpegSplit(clip: string, o: Required<IngestBenchOptions>, frames = 150): Promise<IngestRow[]> {
  const { path } = resolveFfmpeg();
  const size = `${o.width}x${o.height}`;
  const cases: Array<{ name: string; args: string[] }> = [
    {
      name: 'H.264 1080p decode only (yuv420p out, no conversion)',
      args: ['-i', clip, '-frames:v', String(frames), '-f', 'null', '-'],
    },
    {
      name: 'H.264 1080p decode + yuv420p → rgb24 (what LiveStream asks at 1080p)',
      args: [
        '-i',
        clip,
        '-frames:v',
        String(frames),
        '-vf',
        `scale=${o.width}:${o.height}:flags=bilinear`,
        '-pix_fmt',
        'rgb24',
        '-f',
        'null',
        '-',
      ],
    },
    {
      name: 'H.264 1080p decode + scale to 1280x720 + rgb24 (scaling in ffmpeg)',
      args: [
        '-i',
        clip,
        '-frames:v',
        String(frames),
        '-vf',
        'scale=1280:720:flags=bilinear',
        '-pix_fmt',
        'rgb24',
        '-f',
        'null',
        '-',
      ],
    },
    {
      name: 'testsrc2 1080p made as rgb24 at the source (nothing to convert)',
      args: [
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${size}:rate=${o.fps},format=rgb24`,
        '-frames:v',
        String(frames),
        '-vf',
        `scale=${o.width}:${o.height}:flags=bilinear`,
        '-pix_fmt',
        'rgb24',
        '-f',
        'null',
        '-',
      ],
    },
    {
      name: 'testsrc2 1080p made as yuv420p, converted to rgb24 in ffmpeg',
      args: [
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${size}:rate=${o.fps},format=yuv420p`,
        '-frames:v',
        String(frames),
        '-vf',
        `scale=${o.width}:${o.height}:flags=bilinear`,
        '-pix_fmt',
        'rgb24',
        '-f',
        'null',
        '-',
      ],
    },
  ];
  const rows: IngestRow[] = [];
  for (const c of cases) {
    const { stderr } = await promisify(execFile)(path, [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-benchmark',
      ...c.args,
    ]);
    const m = /utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(stderr);
    if (!m) throw new Error(`ffmpeg -benchmark printed no times for '${c.name}'`);
    const cpu = (Number(m[1]) + Number(m[2])) * 1e6;
    rows.push({
      name: `ffmpeg split: ${c.name}`,
      path: 'ffmpeg',
      source: c.name.startsWith('H.264') ? 'h264 decode' : 'testsrc2',
      frames_per_s: round(frames / Number(m[3]), 1),
      p50_us: null,
      p99_us: null,
      cpu_us_per_frame: round(cpu / frames, 0),
      cpu_us_per_frame_runs: [round(cpu / frames, 0)],
      ffmpeg_us_per_frame: round(cpu / frames, 0),
    });
  }
  return rows;
}

/** How far single rounds stray from the median: min, max, and the quartiles (nearest rank) of the same-round ratios. */
function spreadOf(ratios: number[]): {
  floor_ratio_min: number;
  floor_ratio_max: number;
  floor_ratio_p25: number;
  floor_ratio_p75: number;
} {
  const s = [...ratios].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return {
    floor_ratio_min: s[0]!,
    floor_ratio_max: s[s.length - 1]!,
    floor_ratio_p25: rank(0.25),
    floor_ratio_p75: rank(0.75),
  };
}
const perFrameUs = (ns: number, frames: number): number => (frames > 0 ? ns / 1000 / frames : NaN);

/** Runs the floor, the pump and the naive path in rounds for each source, then the ffmpeg split; rows. */
export async function benchIngest(opts: IngestBenchOptions = {}): Promise<IngestRow[]> {
  const o: Required<IngestBenchOptions> = {
    seconds: 10,
    width: 1920,
    height: 1080,
    fps: 30,
    warmupMs: 1500,
    sources: ['synthetic', 'h264'],
    rounds: 2,
    split: true,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  };
  const rows: IngestRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'framering-bench-ingest-'));
  const { loadavg } = await import('node:os');
  try {
    const floorBinary = await compileFloor(dir);
    const clip = await makeClip(dir, o);
    for (const kind of o.sources) {
      const source: SourceSpec =
        kind === 'synthetic' ? 'synthetic://testsrc2' : { kind: 'file', path: clip, loop: true, realtime: true };
      const run: Opts = { ...o, source, label: kind === 'synthetic' ? 'testsrc2' : 'h264 decode', floorBinary };
      const load = Number(loadavg()[0].toFixed(2));
      const w: Record<'floor' | 'ringFloor' | 'twoFloor' | 'pump' | 'naive', Window[]> = {
        floor: [],
        ringFloor: [],
        twoFloor: [],
        pump: [],
        naive: [],
      };
      const loads: number[] = [];
      for (let r = 0; r < o.rounds; r++) {
        loads.push(Number(loadavg()[0].toFixed(2)));
        // The floors and the pump side by side in every round, their order turned every round: none always runs
        // right after the naive path's burst, and a drift in the machine's load cancels over the rounds.
        // ringFloor: the floor writing into 8 rotating buffers of one shared mapping, as the pump writes ring slots;
        // twoFloor: into 2, the fewest any ring has (the newest frame stays readable while the next is written).
        const trio: Array<['floor' | 'ringFloor' | 'twoFloor' | 'pump', () => Promise<Window>]> = [
          ['floor', () => benchFloor(run)],
          ['pump', () => benchPump(run)],
          ['ringFloor', () => benchFloor(run, 8, true)],
          ['twoFloor', () => benchFloor(run, 2, true)],
        ];
        for (let k = 0; k < trio.length; k++) {
          const [path, measure] = trio[(k + r) % trio.length]!;
          w[path].push(await measure());
        }
        w.naive.push(await benchNaive(run));
      }
      const per = (ws: Window[], k: 'ourNs' | 'ffmpegNs' | 'pumpNs') =>
        ws.map((x) => perFrameUs(x[k] ?? NaN, x.frames));
      const fps = (ws: Window[]) => round(median(ws.map((x) => x.frames / x.seconds)), 1);
      const floorUs = per(w.floor, 'ourNs');
      const pumpUs = per(w.pump, 'ourNs');
      const naiveUs = per(w.naive, 'ourNs');
      const floorRatios = pumpUs.map((p, i) => round(p / floorUs[i]!, 3));
      const ringFloorRatios = pumpUs.map((p, i) => round(p / per(w.ringFloor, 'ourNs')[i]!, 3));
      const twoFloorRatios = pumpUs.map((p, i) => round(p / per(w.twoFloor, 'ourNs')[i]!, 3));
      const row = (path: string, name: string, ws: Window[]): IngestRow => {
        const us = per(ws, 'ourNs');
        const ff = median(per(ws, 'ffmpegNs'));
        return {
          name,
          path,
          source: run.label,
          frames_per_s: fps(ws),
          p50_us: null,
          p99_us: null,
          cpu_us_per_frame: round(median(us), 1),
          cpu_us_per_frame_runs: us.map((x) => round(x, 1)),
          ffmpeg_us_per_frame: round(ff, 0),
          ratio: round(median(us) / ff, 4),
          load_avg_1m: load,
        };
      };
      rows.push({ ...row('floor', `floor ${run.label}: C read() loop into one buffer`, w.floor) });
      rows.push({
        ...row('framering', `framering ${run.label}: native pipe → RingPump → ring slot`, w.pump),
        pump_thread_us_per_frame: round(median(per(w.pump, 'pumpNs')), 1),
        floor_us_per_frame: round(median(floorUs), 1),
        floor_ratio: round(median(floorRatios), 3),
        floor_ratio_runs: floorRatios,
        ...spreadOf(floorRatios),
        load_avg_1m_runs: loads,
        ring_floor_ratio: round(median(ringFloorRatios), 3),
        ring_floor_ratio_runs: ringFloorRatios,
        two_floor_ratio: round(median(twoFloorRatios), 3),
        two_floor_ratio_runs: twoFloorRatios,
        naive_ratio: round(median(pumpUs) / median(naiveUs), 3),
      });
      rows.push({ ...row('naive', `naive ${run.label}: fluent-ffmpeg stream → Buffer → ring.write`, w.naive) });
      rows.push({
        ...row(
          'floor-ring',
          `floor ${run.label}, 8 rotating buffers in one shared mapping (as ring slots)`,
          w.ringFloor,
        ),
      });
      rows.push({
        ...row(
          'floor-two',
          `floor ${run.label}, 2 rotating buffers in one shared mapping (the fewest a ring has)`,
          w.twoFloor,
        ),
      });
    }
    if (o.split) rows.push(...(await ffmpegSplit(clip, o)));
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
  console.log(
    `ingest CPU per frame at 1920x1080 RGB24 30 fps, ${seconds} s windows ` +
      '(goals: framering <= 1.15 x floor, <= 0.5 x naive)',
  );
  console.table(
    rows.map(
      ({
        name,
        cpu_us_per_frame,
        cpu_us_per_frame_runs,
        ffmpeg_us_per_frame,
        pump_thread_us_per_frame,
        floor_ratio,
        naive_ratio,
        frames_per_s,
      }) => ({
        name,
        cpu_us_per_frame,
        runs: cpu_us_per_frame_runs.join(' / '),
        ffmpeg_us_per_frame,
        pump_thread_us_per_frame,
        floor_ratio,
        naive_ratio,
        frames_per_s,
      }),
    ),
  );
}
