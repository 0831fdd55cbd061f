/**
 * The ingest floor (issue 13 section 2): scripts/bench/read_floor.c, compiled at bench time with the system cc into a
 * temporary folder, drains the same ffmpeg output through a pipe of the same size as the pump's (createPipe, 64 KiB)
 * into one buffer. Also the CPU clocks the ingest section reads, all in ns: a process's threads
 * (/proc/<pid>/task/<tid>/schedstat), and this process's pump thread (named framering-pump by native/ring_pump.cc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { closeFd, createPipe } from '../../src/shm/internal.js';
import { compileBenchC } from './compile_c.js';
import { lineQueue } from './line_queue.js';

/** Compiles the floor into `dir` with the system cc; the binary's path. */
export function compileFloor(dir: string): Promise<string> {
  return compileBenchC('read_floor', dir);
}

/** CPU time of every thread of `pid` so far, ns (threads that already exited are not counted). */
export function processCpuNs(pid: number | 'self'): number {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return sum;
}

/** CPU ns of this process's threads named `name` (e.g. framering-pump), or null when there is none. */
export function threadCpuNs(name: string): number | null {
  let sum: number | null = null;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== name) continue;
      sum = (sum ?? 0) + Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // ended meanwhile
    }
  }
  return sum;
}

export interface FloorRun {
  ffmpegPid: number;
  /** Frames read so far and the floor's own CPU (CLOCK_PROCESS_CPUTIME_ID), ns. */
  sample(): Promise<{ frames: number; cpuNs: number }>;
  stop(): Promise<void>;
}

/** ffmpeg (args as LiveStream builds them) → pipe → read_floor. */
export async function startFloor(
  binary: string,
  ffmpegPath: string,
  ffmpegArgs: string[],
  frameBytes: number,
  buffers = 1,
  shm = false,
): Promise<FloorRun> {
  const pipe = createPipe(); // the pump's pipe size (LiveStream's default)
  let floor: ChildProcess;
  let ff: ChildProcess;
  try {
    floor = spawn(binary, [String(frameBytes), String(buffers), ...(shm ? ['shm'] : [])], {
      stdio: [pipe.readFd, 'pipe', 'inherit'],
    });
    ff = spawn(ffmpegPath, ffmpegArgs, { stdio: ['ignore', pipe.writeFd, 'ignore'] });
  } finally {
    closeFd(pipe.readFd);
    closeFd(pipe.writeFd);
  }
  const nextLine = lineQueue(floor.stdout!);
  const exited = (p: ChildProcess) =>
    new Promise<void>((resolve) =>
      p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve()),
    );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('read_floor did not start')), 10_000);
    nextLine((line) => {
      clearTimeout(timer);
      if (line === 'ready') resolve();
      else reject(new Error(`read_floor said '${line}' instead of ready`));
    });
  });
  return {
    ffmpegPid: ff.pid!,
    sample: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('read_floor did not answer SIGUSR1')), 5000);
        nextLine((line) => {
          clearTimeout(timer);
          const [frames, cpuNs] = line.split(' ').map(Number);
          resolve({ frames: frames!, cpuNs: cpuNs! });
        });
        floor.kill('SIGUSR1');
      }),
    async stop() {
      ff.kill('SIGKILL');
      floor.kill('SIGKILL');
      await Promise.all([exited(ff), exited(floor)]);
    },
  };
}
