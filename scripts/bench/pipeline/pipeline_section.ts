/**
 * `npm run bench -- --pipeline` (issue 13 section 3): the main3 shape with N cameras (H.264 files, 720p, 10 fps,
 * looped in real time), a light process per camera and one shared master, built three ways: framering, the naive
 * Node pipeline (process.send) and a Frigate-style Python one (shared_memory + mp.Queue). Each runs in a driver
 * process of its own; over the measured window we read, from /proc, the CPU of every process of its tree except
 * ffmpeg (whose decoding is the same for all three), the RSS and PSS of each, and the frames decoded (out of ffmpeg)
 * and delivered (handled by the per-camera processes).
 */
import { execFile, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compiledCounterpart } from '../../../src/process/fork_spec.js';
import { parseSource } from '../../../src/stream/camera_source.js';
import { resolveFfmpeg } from '../../../src/stream/ffmpeg_binary.js';
import { probeFfmpeg } from '../../../src/stream/ffmpeg_capabilities.js';
import { buildFfmpegArgs } from '../../../src/stream/ffmpeg_command.js';
import type { Row } from '../rows.js';
import type { FromDriver, PipelineCounts } from './driver_ipc.js';
import { treeInfo, type ProcInfo } from './proc_tree.js';
import { lineQueue } from '../line_queue.js';

/** framering forwards by reference (the master takes the camera frame in place); framering-copy copies it. */
export const PIPELINES = ['framering', 'framering-copy', 'naive', 'python', 'python-readinto'] as const;
export type PipelineKind = (typeof PIPELINES)[number];

export interface PipelineOptions {
  seconds: number;
  /** Rounds per camera count: every pipeline once a round, their order turned each round (medians count). */
  rounds?: number;
  cameras: number[];
  pipelines: PipelineKind[];
  width: number;
  height: number;
  fps: number;
  warmupS: number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** One H.264 clip per geometry, made once and kept in the temp dir across runs. */
async function clipFor(o: PipelineOptions): Promise<string> {
  const dir = join(tmpdir(), 'framering-bench-cache');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `clip-${o.width}x${o.height}-${o.fps}fps.mp4`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.mp4`;
    await promisify(execFile)(resolveFfmpeg().path, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`,
      '-t',
      '20',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      String(o.fps * 2),
      '-pix_fmt',
      'yuv420p',
      '-y',
      tmp,
    ]);
    const { renameSync } = await import('node:fs');
    renameSync(tmp, file);
  }
  return file;
}

/**
 * The Node drivers run as compiled JS when dist/ is up to date (as the framework's own children then do), so that no
 * process of any pipeline carries tsx; otherwise through tsx, and the rows say so.
 */
export function driverCommand(kind: 'framering' | 'naive'): { path: string; execArgv: string[]; compiled: boolean } {
  const path = here(`./${kind}_driver${EXT}`);
  if (EXT === '.js') return { path, execArgv: [], compiled: true };
  const js = compiledCounterpart(path);
  return js ? { path: js, execArgv: [], compiled: true } : { path, execArgv: ['--import', 'tsx'], compiled: false };
}

interface Driver {
  pid: number;
  ready: Promise<void>;
  sample(): Promise<PipelineCounts>;
  stop(): Promise<void>;
}

function nodeDriver(kind: 'framering' | 'naive', args: string[]): Driver {
  const cmd = driverCommand(kind);
  const child = fork(cmd.path, args, { execArgv: cmd.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: Array<(m: FromDriver) => void> = [];
  let failed: Error | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: FromDriver) => {
      if (m.t === 'ready') resolve();
      else if (m.t === 'error') {
        failed = new Error(`${kind} driver: ${m.message}`);
        reject(failed);
      } else waiting.shift()?.(m);
    });
    child.once('exit', (code) => reject(failed ?? new Error(`${kind} driver exited (${code}) before it was ready`)));
  });
  return {
    pid: child.pid!,
    ready,
    sample: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${kind} driver did not answer a sample`)), 20_000);
        waiting.push((m) => {
          clearTimeout(timer);
          resolve(m as PipelineCounts);
        });
        child.send({ t: 'sample' });
      }),
    stop: () => stopChild(child, () => child.send({ t: 'stop' })),
  };
}

async function stopChild(child: ChildProcess, ask: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    ask();
  } catch {
    child.kill('SIGKILL');
  }
  const timer = setTimeout(() => {
    // Whatever is left of its tree, then itself.
    for (const p of treeInfo(child.pid!).reverse()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }, 20_000);
  await exited;
  clearTimeout(timer);
}

async function pythonDriver(o: PipelineOptions, cameras: number, clip: string, readinto: boolean): Promise<Driver> {
  const { path } = resolveFfmpeg();
  const args = buildFfmpegArgs(
    parseSource({ kind: 'file', path: clip, loop: true, realtime: true }),
    o,
    await probeFfmpeg(path),
  );
  // Next to this file in the sources; from dist/scripts/bench/pipeline/, in the package's scripts/bench/pipeline/.
  const script = existsSync(here('./pipeline_python.py'))
    ? here('./pipeline_python.py')
    : here('../../../../scripts/bench/pipeline/pipeline_python.py');
  const child = spawn('python3', [script, String(cameras), String(o.width), String(o.height), path, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, FRAMERING_BENCH_PY_CAPTURE: readinto ? 'readinto' : 'read' },
  });
  const nextLine = lineQueue(child.stdout!);
  const ready = new Promise<void>((resolve, reject) => {
    nextLine((line) => (line === 'ready' ? resolve() : reject(new Error(`python pipeline said '${line}'`))));
    child.once('exit', (code) => reject(new Error(`python pipeline exited (${code}) before it was ready`)));
  });
  return {
    pid: child.pid!,
    ready,
    sample: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('python pipeline did not answer a sample')), 20_000);
        nextLine((line) => {
          clearTimeout(timer);
          resolve(JSON.parse(line) as PipelineCounts);
        });
        child.stdin!.write('sample\n');
      }),
    stop: () => stopChild(child, () => child.stdin!.end('stop\n')),
  };
}

/** Which part of a pipeline a process is, from its command line. */
function role(p: ProcInfo, rootPid: number): string {
  if (p.comm === 'ffmpeg') return 'ffmpeg';
  if (p.pid === rootPid) return 'main';
  if (/-master\b/.test(p.cmd)) return 'master'; // framering children show their process name (framering:<name>)
  if (/-client\d+\b/.test(p.cmd)) return 'client';
  if (/backend_runtime/.test(p.cmd)) return 'child';
  if (/naive_child\S* master/.test(p.cmd)) return 'master';
  if (/naive_child\S* worker/.test(p.cmd)) return 'worker';
  return p.comm === 'python3' ? 'child' : p.comm; // python's children are forks: the master or a worker
}

async function measureOne(kind: PipelineKind, cameras: number, clip: string, o: PipelineOptions): Promise<Row> {
  const load = Number(loadavg()[0].toFixed(2));
  const name = `pipeline ${kind}, ${cameras} camera${cameras > 1 ? 's' : ''}`;
  const driver = kind.startsWith('python')
    ? await pythonDriver(o, cameras, clip, kind === 'python-readinto')
    : nodeDriver(kind === 'naive' ? 'naive' : 'framering', [
        String(cameras),
        clip,
        String(o.width),
        String(o.height),
        String(o.fps),
        kind === 'framering-copy' ? 'copy' : 'reference',
      ]);
  try {
    await driver.ready;
    await sleep(o.warmupS * 1000);
    const c0 = await driver.sample();
    const p0 = new Map(treeInfo(driver.pid).map((p) => [p.pid, p]));
    const t0 = performance.now();
    await sleep(o.seconds * 1000);
    const c1 = await driver.sample();
    const p1 = treeInfo(driver.pid);
    const seconds = (performance.now() - t0) / 1000;
    let cpuNs = 0;
    let ffmpegNs = 0;
    const procs: Array<{ role: string; pid: number; rss_mb: number; pss_mb: number; cpu_s: number }> = [];
    for (const p of p1) {
      const before = p0.get(p.pid);
      const d = before ? p.cpuNs - before.cpuNs : 0;
      const r = role(p, driver.pid);
      if (r === 'ffmpeg') {
        ffmpegNs += d;
        continue;
      }
      cpuNs += d;
      procs.push({
        role: r,
        pid: p.pid,
        rss_mb: round(p.rssKiB / 1024, 1),
        pss_mb: round(p.pssKiB / 1024, 1),
        cpu_s: round(d / 1e9, 2),
      });
    }
    const decoded = c1.decoded - c0.decoded;
    return {
      name,
      section: 'pipeline',
      frames_per_s: round(decoded / seconds, 1),
      p50_us: null,
      p99_us: null,
      pipeline: kind,
      cameras,
      seconds: round(seconds, 1),
      warmup_s: o.warmupS,
      cpu_s: round(cpuNs / 1e9, 2),
      cpu_share_of_core: round(cpuNs / 1e9 / seconds, 3),
      rss_mb: round(
        procs.reduce((s, p) => s + p.rss_mb, 0),
        1,
      ),
      pss_mb: round(
        procs.reduce((s, p) => s + p.pss_mb, 0),
        1,
      ),
      delivered_ratio: decoded > 0 ? round((c1.handled - c0.handled) / decoded, 4) : null,
      master_ratio:
        c1.forwarded - c0.forwarded > 0
          ? round((c1.masterHandled - c0.masterHandled) / (c1.forwarded - c0.forwarded), 4)
          : null,
      decoded_per_s_expected: cameras * o.fps,
      ffmpeg_cpu_s: round(ffmpegNs / 1e9, 2),
      processes: procs,
      compiled: kind.startsWith('python')
        ? undefined
        : driverCommand(kind === 'naive' ? 'naive' : 'framering').compiled,
      load_avg_1m: load,
    };
  } finally {
    await driver.stop();
  }
}

export async function runPipelineSection(o: PipelineOptions): Promise<Row[]> {
  const clip = await clipFor(o);
  const rows: Row[] = [];
  const rounds = o.rounds ?? 1;
  for (const n of o.cameras) {
    // Each round runs every pipeline once, in an order turned by one each round, so that the pipelines compared
    // share moments of the machine; a round's ratio compares its own runs (pipeline_report.ts).
    const runs = new Map<PipelineKind, Row[]>(o.pipelines.map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      const order = o.pipelines.map((_, i) => o.pipelines[(i + r) % o.pipelines.length]!);
      for (const kind of order) {
        const roundNote = rounds > 1 ? ` (round ${r + 1} of ${rounds})` : '';
        o.log(`bench: ${kind}, ${n} camera(s), ${o.seconds} s${roundNote} ...`);
        const t = Date.now();
        const row = await measureOneOrFailed(kind, n, clip, o);
        runs.get(kind)!.push(row);
        o.log(
          row.error
            ? ` FAILED: ${row.error}\n`
            : ` cpu ${row.cpu_s} s, delivered ${row.delivered_ratio}, ${((Date.now() - t) / 1000).toFixed(0)} s\n`,
        );
      }
    }
    for (const kind of o.pipelines) rows.push(mergeRounds(runs.get(kind)!));
  }
  return rows;
}

async function measureOneOrFailed(kind: PipelineKind, n: number, clip: string, o: PipelineOptions): Promise<Row> {
  try {
    return await measureOne(kind, n, clip, o);
  } catch (err) {
    return {
      name: `pipeline ${kind}, ${n} cameras`,
      section: 'pipeline',
      frames_per_s: null,
      p50_us: null,
      p99_us: null,
      pipeline: kind,
      cameras: n,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

/** One row per pipeline and camera count: the round with the median CPU, and every round's CPU in `cpu_s_runs`. */
function mergeRounds(runs: Row[]): Row {
  if (runs.length === 1) return runs[0]!;
  const good = runs.filter((r) => !r.error);
  if (good.length === 0) return runs[0]!;
  const sorted = [...good].sort((a, b) => (a.cpu_s as number) - (b.cpu_s as number));
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    ...median,
    cpu_s_runs: runs.map((r) => (r.error ? null : (r.cpu_s as number))),
    delivered_ratio_min: Math.min(...good.map((r) => r.delivered_ratio as number)),
    load_avg_1m_runs: runs.map((r) => r.load_avg_1m ?? null),
  };
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
