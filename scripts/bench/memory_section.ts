/**
 * `npm run bench -- --memory` (issue 13 section 4): what an analysis process costs in memory, in the same run as a
 * bare Node process that only imports framering; /dev/shm bytes and RSS per process for 4 cameras at 1080p
 * (main2 shape: one process per camera, no analysis); and, from /proc/<pid>/maps (the VMAs smaps lists), that each
 * process maps each ring it uses exactly once.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { GoalResult } from './goals.js';
import { compiledCounterpart } from '../../src/process/fork_spec.js';
import { procInfo } from './pipeline/proc_tree.js';
import type { Row } from './rows.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

function statusKiB(pid: number, key: string): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

/**
 * VMAs per ring file a process maps, from /proc/<pid>/smaps. Matched by inode, not path: a writer creates its ring
 * unnamed (O_TMPFILE) and links it after mapping, so its maps show "/dev/shm/#123 (deleted)".
 */
function ringMappings(pid: number, rings: Map<number, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s+\/dev\/shm\//.exec(line);
    const ring = m ? rings.get(Number(m[1])) : undefined;
    if (ring) out[ring] = (out[ring] ?? 0) + 1;
  }
  return out;
}

export interface MemoryResult {
  rows: Row[];
  goals: GoalResult[];
  shmBytes: number;
  shmAllocated: number;
  load: number;
}

function memRow(name: string, role: string, pid: number, rings: Map<number, string>): Row {
  const info = procInfo(pid);
  return {
    name,
    section: 'memory',
    frames_per_s: null,
    p50_us: null,
    p99_us: null,
    role,
    pid,
    rss_mb: round(statusKiB(pid, 'VmRSS') / 1024),
    rss_anon_mb: round(statusKiB(pid, 'RssAnon') / 1024),
    rss_file_mb: round(statusKiB(pid, 'RssFile') / 1024),
    rss_shmem_mb: round(statusKiB(pid, 'RssShmem') / 1024),
    pss_mb: info ? round(info.pssKiB / 1024) : null,
    ring_mappings: ringMappings(pid, rings),
  };
}

export async function runMemorySection(o: {
  seconds: number;
  cameras?: number;
  log: (s: string) => void;
}): Promise<MemoryResult> {
  const cameras = o.cameras ?? 4;
  const load = Number(loadavg()[0].toFixed(2));
  const driverTs = fileURLToPath(new URL(`./memory_driver${EXT}`, import.meta.url));
  const driverJs = EXT === '.js' ? driverTs : compiledCounterpart(driverTs);
  const indexJs = fileURLToPath(new URL(`../../${EXT === '.js' ? '' : 'dist/'}src/index.js`, import.meta.url));
  const scratch = mkdtempSync(join(tmpdir(), 'framering-bench-mem-'));
  // The yardstick: a bare Node process that imports framering (the built package's entry point) and waits.
  const bareScript = join(scratch, 'bare.mjs');
  writeFileSync(
    bareScript,
    `await import(${JSON.stringify(pathToFileURL(indexJs).href)});\nprocess.send('ready');\n` +
      "process.on('disconnect', () => process.exit(0));\n",
  );
  const bare = fork(bareScript, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const driver = fork(driverJs ?? driverTs, [String(cameras), '1920', '1080', '5'], {
    execArgv: driverJs ? [] : ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      bare.once('message', () => resolve());
      bare.once('exit', (c) => reject(new Error(`the bare import process exited (${c})`)));
    });
    const ready = await new Promise<{ tag: string; children: Array<{ name: string; pid: number; ring: string }> }>(
      (resolve, reject) => {
        driver.on(
          'message',
          (m: {
            t: string;
            message?: string;
            tag: string;
            children: Array<{ name: string; pid: number; ring: string }>;
          }) => {
            if (m.t === 'ready') resolve(m);
            if (m.t === 'error') reject(new Error(m.message));
          },
        );
        driver.once('exit', (c) => reject(new Error(`the memory driver exited (${c})`)));
      },
    );
    o.log(`bench: memory: ${cameras} cameras at 1080p flowing; measuring after ${o.seconds} s ...\n`);
    const pids = [bare.pid!, driver.pid!, ...ready.children.map((c) => c.pid)];
    const cpu0 = new Map(pids.map((p) => [p, procInfo(p)?.cpuNs ?? NaN]));
    const t0 = performance.now();
    await sleep(o.seconds * 1000);
    const span = (performance.now() - t0) / 1000;
    const cpuMs = (pid: number) => round(((procInfo(pid)?.cpuNs ?? NaN) - cpu0.get(pid)!) / 1e6 / span, 2);
    const shm = readdirSync('/dev/shm').filter((f) => f.includes(ready.tag));
    const shmBytes = shm.reduce((s, f) => s + statSync(join('/dev/shm', f)).size, 0);
    const shmAllocated = shm.reduce((s, f) => s + statSync(join('/dev/shm', f)).blocks * 512, 0);
    const rings = new Map(
      shm.map((f) => [statSync(join('/dev/shm', f)).ino, f.replace(/^framering-/, '')] as [number, string]),
    );
    const rows: Row[] = [
      memRow('bare node, import framering (dist/src/index.js)', 'bare', bare.pid!, rings),
      memRow(`main process: ${cameras} LiveStreams (pumps) + process frontends`, 'main', driver.pid!, rings),
      ...ready.children.map((c) =>
        memRow(`analysis process, no analysis (${c.name}, reads ${c.ring})`, 'analysis', c.pid, rings),
      ),
    ];
    const analysis = rows.filter((r) => r.role === 'analysis');
    const bareRss = rows[0]!.rss_mb as number;
    const worst = Math.max(...analysis.map((r) => r.rss_mb as number));
    const worstAnon = Math.max(...analysis.map((r) => r.rss_anon_mb as number));
    for (const r of analysis) r.floor_ratio = round((r.rss_mb as number) / bareRss, 3);
    const mapsOk = analysis.every((r) => {
      const m = r.ring_mappings as Record<string, number>;
      return Object.keys(m).length === 1 && Object.values(m).every((n) => n === 1);
    });
    const mainMaps = rows[1]!.ring_mappings as Record<string, number>;
    const goals: GoalResult[] = [
      {
        goal: 'memory: analysis process (no analysis) RSS <= 1.5 x bare node importing framering',
        measured:
          `${(worst / bareRss).toFixed(2)} x (worst ${worst.toFixed(1)} MB vs bare ${bareRss.toFixed(1)} MB; ` +
          `private (RssAnon) ${worstAnon.toFixed(1)} vs ${(rows[0]!.rss_anon_mb as number).toFixed(1)} MB)`,
        pass: worst / bareRss <= 1.5,
      },
      {
        goal: 'memory: each process maps each ring once (/proc/<pid>/smaps)',
        measured:
          `analysis processes: ${analysis
            .map((r) => Object.values(r.ring_mappings as Record<string, number>).join('+') || '0')
            .join(', ')} mapping(s) of their ring; ` +
          `main: ${Object.keys(mainMaps).length} rings, ${Object.values(mainMaps).join('+')} mapping(s)`,
        pass: mapsOk && Object.keys(mainMaps).length === cameras && Object.values(mainMaps).every((n) => n === 1),
      },
    ];
    for (const r of rows) {
      r.load_avg_1m = load;
      r.cpu_ms_per_s = cpuMs(r.pid as number);
    }
    return { rows, goals, shmBytes, shmAllocated, load };
  } finally {
    driver.send({ t: 'stop' });
    bare.disconnect();
    await new Promise<void>((resolve) => (driver.exitCode !== null ? resolve() : driver.once('exit', () => resolve())));
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function formatMemory(r: MemoryResult): string {
  const header = [
    'process',
    'CPU ms/s',
    'RSS MB',
    'private (anon)',
    'file',
    'shm',
    'PSS MB',
    'x bare',
    'ring mappings',
  ];
  const lines = r.rows.map((x) => [
    x.name,
    String(x.cpu_ms_per_s),
    String(x.rss_mb),
    String(x.rss_anon_mb),
    String(x.rss_file_mb),
    String(x.rss_shmem_mb),
    String(x.pss_mb),
    typeof x.floor_ratio === 'number' ? x.floor_ratio.toFixed(2) : '-',
    Object.entries(x.ring_mappings as Record<string, number>)
      .map(([k, v]) => `${k.replace(/^bm\d+-/, '')}:${v}`)
      .join(' ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (c: string[]) =>
    c
      .map((x, i) => (i === 0 || i === 8 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    `Memory, 4 cameras at 1080p (main2 shape, no analysis), load ${r.load}: ` +
      `/dev/shm ${(r.shmBytes / 1048576).toFixed(1)} MiB in ring files ` +
      `(${(r.shmAllocated / 1048576).toFixed(1)} MiB allocated)`,
    fmt(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...lines.map(fmt),
  ].join('\n');
}

function round(x: number, d = 1): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
