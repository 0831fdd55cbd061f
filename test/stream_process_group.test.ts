// ffmpeg runs in a process group of its own: a terminal's Ctrl-C (SIGINT to the whole foreground group) reaches the
// application, which stops the stream in order, and not ffmpeg, which would die first and count as a fault. And
// because nothing else then ends ffmpeg, killOnExit must: no ffmpeg outlives the application that started it.
// Real parts: a child Node application in its own process group, real ffmpeg, real rings.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveStreamStats } from '../src/stream/index.js';
import { exited, nextMessage } from './support/child_script.js';

const CHILD = fileURLToPath(new URL('./fixtures/stream/live_stream_child.ts', import.meta.url));
let seq = 0;
const ringName = () => `test-pgroup-${process.pid}-${++seq}`;
const children: ChildProcess[] = [];
const ffmpegs: number[] = [];

/** Running, not a zombie (a killed ffmpeg reparented to a non-reaping init stays a zombie, and is gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function pgid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

async function waitGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (!alive(pid)) return true;
  }
  return !alive(pid);
}

/** The application, in a process group of its own (as a shell runs a program), talking to us over IPC. */
function startApp(args: string[], opts: { quiet?: boolean } = {}): ChildProcess {
  const stderr = opts.quiet ? 'ignore' : 'inherit'; // quiet: it crashes on purpose
  const child = fork(CHILD, args, {
    execArgv: ['--import', 'tsx'],
    detached: true,
    stdio: ['ignore', 'pipe', stderr, 'ipc'],
  });
  children.push(child);
  return child;
}

afterEach(async () => {
  // Whatever a failed test left: the application, then any ffmpeg it started.
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await exited(c);
    }
  }
  for (const pid of ffmpegs.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

describe('ffmpeg in its own process group', { timeout: 90_000 }, () => {
  it(
    "Ctrl-C to the application's process group leaves ffmpeg " +
      'to the orderly stop(): no restart, no fault, nothing left',
    async () => {
      const name = ringName();
      const app = startApp(['handles-sigint', name, '1500']);
      const { ffmpegPid } = await nextMessage<{ ready: boolean; ffmpegPid: number }>(app, (m) => m.ready, 60_000);
      ffmpegs.push(ffmpegPid);
      expect(pgid(app.pid!)).toBe(app.pid);
      expect(pgid(ffmpegPid)).toBe(ffmpegPid); // not in the application's group: the group signal cannot reach it

      const result = nextMessage<{
        stats: LiveStreamStats;
        beforeStop: LiveStreamStats;
        ffmpegAliveBeforeStop: boolean;
      }>(app, (m) => 'stats' in m, 60_000);
      process.kill(-app.pid!, 'SIGINT'); // what the terminal does on Ctrl-C
      const { stats, beforeStop, ffmpegAliveBeforeStop } = await result;

      // Until stop(), the same ffmpeg ran on: the signal did not end it, so nothing was restarted or reported.
      expect(ffmpegAliveBeforeStop).toBe(true);
      expect(beforeStop).toMatchObject({ ffmpegPid, restarts: 0, lastError: null });
      expect(stats).toMatchObject({ state: 'stopped', restarts: 0, lastError: null, ffmpegPid: null });
      expect(stats.framesDelivered).toBeGreaterThan(0);

      expect(await exited(app)).toEqual({ code: 0, signal: null });
      // stop() reaped it: gone, not a zombie nor an orphan; and the ring is unlinked.
      expect(existsSync(`/proc/${ffmpegPid}`)).toBe(false);
      expect(existsSync(`/dev/shm/framering-${name}`)).toBe(false);
    },
  );

  const waysOut = [
    {
      how: 'SIGTERM it does not handle',
      stall: false,
      end: (app: ChildProcess) => app.kill('SIGTERM'),
      expected: { code: null, signal: 'SIGTERM' },
    },
    {
      how: 'SIGTERM it does not handle, ffmpeg stalled',
      stall: true,
      end: (app: ChildProcess) => app.kill('SIGTERM'),
      expected: { code: null, signal: 'SIGTERM' },
    },
    {
      how: 'an uncaught exception, ffmpeg stalled',
      stall: true,
      end: (app: ChildProcess) => app.send('throw'),
      expected: { code: 1, signal: null },
    },
  ];
  for (const w of waysOut) {
    it(`an application ended by ${w.how} takes its ffmpeg with it (killOnExit)`, async () => {
      const name = ringName();
      // Stalled: ffmpeg is SIGSTOPped, like one waiting on a silent camera; it writes nothing, so the closed pipe
      // cannot end it, and only killOnExit can.
      const app = startApp(['unhandled', name, w.stall ? 'stall' : 'run'], { quiet: w.expected.code === 1 });
      const { ffmpegPid } = await nextMessage<{ ready: boolean; ffmpegPid: number }>(app, (m) => m.ready, 60_000);
      ffmpegs.push(ffmpegPid);
      expect(alive(ffmpegPid)).toBe(true);
      const done = exited(app);
      w.end(app);
      expect(await done).toEqual(w.expected);
      expect(await waitGone(ffmpegPid)).toBe(true);
      expect(existsSync(`/dev/shm/framering-${name}`)).toBe(false);
    });
  }
});
