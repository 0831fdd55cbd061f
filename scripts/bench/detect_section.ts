/**
 * The detection section (`npm run bench -- --detect`, or `--only detect`): inference time of the CenterNet COCO
 * model at 512x512 on tfjs-wasm with SIMD and threads on and off (each configuration in a child process of its own,
 * since the wasm runtime's flags are fixed per process), and main3's camera → reply latency end to end with two
 * panning video-file cameras made from the test photos. About a minute on two cores.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveFfmpeg } from '../../src/stream/index.js';
import type { Summary } from '../../examples/cli/summary.js';
import type { Row } from './rows.js';

const CONFIGS = [
  { name: 'tfjs-wasm SIMD, 1 thread', simd: true, threads: 0 },
  { name: 'tfjs-wasm no SIMD, 1 thread', simd: false, threads: 0 },
  { name: 'tfjs-wasm SIMD, 2 threads', simd: true, threads: 2 },
] as const;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function tsxImport(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

function run(file: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', tsxImport(), file, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              `${err.message.split('\n')[0]} ${stderr.split('\n').filter(Boolean).slice(-2).join(' | ').slice(0, 300)}`,
            ),
          );
        else resolve(stdout);
      },
    );
  });
}

/** The line detect_child.ts prints last. */
interface DetectChildResult {
  description: string;
  loadMs: number;
  runs: number;
  p50_ms: number;
  p99_ms: number;
}

/** The last JSON line a child printed, typed as that child prints it (unchecked: the bench trusts its children). */
function lastJson<T>(stdout: string): T {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new Error('no JSON line in the output');
  return JSON.parse(line) as T;
}

function panningVideo(photo: string, dir: string, seconds: number): string {
  const out = join(dir, `${photo}.mp4`);
  execFileSync(resolveFfmpeg().path, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x808080:s=640x360:r=10:d=${seconds}`,
    '-loop',
    '1',
    '-framerate',
    '10',
    '-i',
    join(ROOT, 'test', 'fixtures', 'photos', `${photo}.jpg`),
    '-filter_complex',
    '[1:v]scale=640:360:force_original_aspect_ratio=decrease[p];' +
      "[0:v][p]overlay=x='(W-w)/2+6*sin(2*PI*t)':y='(H-h)/2':shortest=1",
    '-t',
    String(seconds),
    '-c:v',
    'mpeg4',
    '-q:v',
    '3',
    out,
  ]);
  return out;
}

export async function runDetectSection(log: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const c of CONFIGS) {
    log(`bench: detect ${c.name} ...`);
    try {
      const r = lastJson<DetectChildResult>(
        await run(
          join(ROOT, 'scripts', 'bench', 'detect_child.ts'),
          [],
          { DETECT_SIMD: c.simd ? '1' : '0', DETECT_THREADS: String(c.threads), DETECT_RUNS: '25' },
          180_000,
        ),
      );
      rows.push({
        name: `CenterNet 512x512, ${c.name}`,
        section: 'detect',
        frames_per_s: Math.round((1000 / r.p50_ms) * 10) / 10,
        p50_us: Math.round(r.p50_ms * 1000),
        p99_us: Math.round(r.p99_ms * 1000),
        inference_p50_ms: r.p50_ms,
        inference_p99_ms: r.p99_ms,
        runs: r.runs,
        model_load_ms: r.loadMs,
        backend: r.description,
      } as Row);
      log(` p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms\n`);
    } catch (err) {
      rows.push({
        name: `CenterNet 512x512, ${c.name}`,
        section: 'detect',
        frames_per_s: null,
        p50_us: null,
        p99_us: null,
        error: (err as Error).message,
      } as Row);
      log(` FAILED: ${(err as Error).message}\n`);
    }
  }
  log('bench: detect main3 end to end (2 panning cameras, 12 s) ...');
  const dir = mkdtempSync(join(tmpdir(), 'framering-bench-detect-'));
  try {
    const cams = [panningVideo('astronaut', dir, 30), panningVideo('motorcycle', dir, 30)];
    const json = lastJson<Summary>(
      await run(
        join(ROOT, 'examples', 'main3.ts'),
        [...cams, '--duration', '12', '--json', '--out', join(dir, 'snapshots')],
        {},
        120_000,
      ),
    );
    const master = json.processes.find((p) => p.name === 'master');
    const clients = json.processes.filter((p) => p.name.startsWith('client-'));
    const p50 = Math.max(...clients.map((c) => c.replyLatencyMs?.p50 ?? NaN));
    const p99 = Math.max(...clients.map((c) => c.replyLatencyMs?.p99 ?? NaN));
    rows.push({
      name: 'main3 camera → reply, 2 cameras @ 10 fps, CenterNet (worst client)',
      section: 'detect',
      frames_per_s: master?.detector?.detectionFps ?? null,
      p50_us: Math.round(p50 * 1000),
      p99_us: Math.round(p99 * 1000),
      reply_p50_ms: p50,
      reply_p99_ms: p99,
      detection_fps: master?.detector?.detectionFps,
      skipped_fps: master?.detector?.skippedFps,
      inference: master?.detector?.inference,
      objects: master?.objects,
    } as Row);
    log(` reply p50 ${p50} ms, p99 ${p99} ms, detection ${master?.detector?.detectionFps} fps\n`);
  } catch (err) {
    rows.push({
      name: 'main3 camera → reply',
      section: 'detect',
      frames_per_s: null,
      p50_us: null,
      p99_us: null,
      error: (err as Error).message,
    } as Row);
    log(` FAILED: ${(err as Error).message}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The section's table: ms, not µs, and frames per second through the network. */
export function formatDetectRows(rows: Row[]): string {
  const lines = ['Detection (CenterNet COCO, 512x512; figures in ms)', ''];
  const header = ['run', 'p50 ms', 'p99 ms', 'frames/s'];
  const body = rows.map((r) => [
    r.name,
    r.p50_us == null ? '-' : (r.p50_us / 1000).toFixed(1),
    r.p99_us == null ? '-' : (r.p99_us / 1000).toFixed(1),
    r.frames_per_s == null ? (r.error ? `FAILED: ${r.error.slice(0, 80)}` : '-') : String(r.frames_per_s),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt));
  return lines.join('\n');
}
