/**
 * The floor under a process per camera: what one empty wakeup costs a Node process and a Python one on this machine,
 * in the same run as the pipelines. Each runtime's receiver blocks on a Unix socket and does nothing with what comes;
 * the bench writes 8 bytes to it `rate` times a second (the pipelines' per-process frame rate); the receiver's CPU over
 * the window, divided by the messages, is what one wakeup costs it (event loop or interpreter, syscalls, caches gone
 * cold while the core was idle or busy with ffmpeg). Every process of a pipeline pays it per frame on top of its work.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleepMs } from '../clock.js';
import { median, type Row } from '../rows.js';
import { lineQueue } from '../line_queue.js';
import { procInfo } from './proc_tree.js';

const RECEIVERS = {
  node: {
    command: process.execPath,
    args: (path: string) => [
      '-e',
      `require('node:net').createServer((c) => c.on('data', () => {})).listen(${JSON.stringify(path)}, () => ` +
        `console.log('ready'))`,
    ],
  },
  python: {
    command: 'python3',
    args: (path: string) => [
      '-c',
      [
        'import socket',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
        `s.bind(${JSON.stringify(path)})`,
        's.listen(1)',
        "print('ready', flush=True)",
        'c, _ = s.accept()',
        'while c.recv(64): pass',
      ].join('\n'),
    ],
  },
} as const;

export type Runtime = keyof typeof RECEIVERS;

/** µs of CPU one empty wakeup costs `runtime`'s receiver, over `seconds` at `rate` messages a second. */
async function measureOne(runtime: Runtime, rate: number, seconds: number): Promise<number> {
  const path = join(tmpdir(), `framering-bench-wakeup-${process.pid}-${runtime}.sock`);
  rmSync(path, { force: true });
  const { command, args } = RECEIVERS[runtime];
  const child = spawn(command, args(path), { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      lineQueue(child.stdout!)((line) => (line === 'ready' ? resolve() : reject(new Error(`${runtime}: '${line}'`))));
      child.once('exit', (code) => reject(new Error(`${runtime} wakeup receiver exited (${code})`)));
    });
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => {}); // a receiver gone mid-window is reported below, from its CPU figures
    const cpuNs = () => {
      const info = procInfo(child.pid!);
      if (!info) throw new Error(`${runtime} wakeup receiver is gone; its CPU cannot be read`);
      return info.cpuNs;
    };
    const ping = Buffer.alloc(8);
    let sent = 0;
    const timer = setInterval(() => {
      socket.write(ping);
      sent++;
    }, 1000 / rate);
    await sleepMs(2000); // start-up done, the receiver settled
    const cpu0 = cpuNs();
    const sent0 = sent;
    await sleepMs(seconds * 1000);
    const cpu1 = cpuNs();
    const wakeups = sent - sent0;
    clearInterval(timer);
    socket.destroy();
    return (cpu1 - cpu0) / 1000 / wakeups;
  } finally {
    child.kill('SIGKILL');
    rmSync(path, { force: true });
  }
}

/** One row per runtime: the median over `rounds` (runtimes interleaved) of µs per wakeup, in p50_us. */
export async function runtimeWakeupRows(rate: number, seconds: number, rounds: number): Promise<Row[]> {
  const runs: Record<Runtime, number[]> = { node: [], python: [] };
  for (let r = 0; r < rounds; r++)
    for (const runtime of r % 2 ? (['python', 'node'] as const) : (['node', 'python'] as const))
      runs[runtime].push(await measureOne(runtime, rate, seconds));
  return (Object.keys(runs) as Runtime[]).map((runtime) => ({
    name: `wakeup floor ${runtime}`,
    section: 'pipeline',
    frames_per_s: rate,
    p50_us: Math.round(median(runs[runtime])),
    p99_us: null,
    runtime,
    wakeup_us_runs: runs[runtime].map(Math.round),
  }));
}
