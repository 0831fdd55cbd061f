// FfmpegRun: one run of ffmpeg, from launch to its end. Spawns ffmpeg with its stdout on a fresh native pipe (and, for
// camera time, fd 3 on a second one), starts the RingPump that moves whole frames from that pipe into the ring, ends
// ffmpeg on request (SIGTERM, SIGKILL after stopTimeoutMs), reaps it, and says how the run ended. LiveStream strings
// runs together (states, backoff, watchdog, totals); a run knows nothing of what came before it except the numbers it
// is given (first frame number, restarts).
import { spawn, type ChildProcess } from 'node:child_process';
import type { FrameRingServer } from '../shm/index.js';
import { closeFd, createPipe, RingPump, type PumpEnd } from '../shm/internal.js';
import { FRAME_TIMES_FD } from './ffmpeg_command.js';
import { killOnExit } from './kill_on_exit.js';
import { signalGroup } from './process_group.js';
import type { Redactor } from './redact.js';
import type { StderrTail } from './stderr_tail.js';
import { StreamError, type StreamErrorCode } from './stream_error.js';

export interface FfmpegRunOptions {
  ffmpegPath: string;
  /** ffmpeg's arguments, credentials included (never printed from here). */
  args: readonly string[];
  ring: FrameRingServer;
  slotId: number;
  /** The number of the run's first frame: frame numbers count on across runs. */
  firstFrameNumber: number;
  /** Runs before this one that ended in a fault; written into every frame's meta. */
  restarts: number;
  /** ffmpeg writes frame times to fd 3 (buildFfmpegArgs' frameTimes). */
  frameTimes: boolean;
  pipeBytes?: number;
  stopTimeoutMs: number;
  /** Receives ffmpeg's stderr. */
  tail: StderrTail;
}

/** What classify() needs to word a fault. */
export interface RunDescription {
  /** The source, redacted. */
  where: string;
  redactor: Redactor;
  watchdogMs: number;
  /** A finished file that is not looped ends the stream instead of faulting. */
  endsAtEof: boolean;
}

export type RunEndedBy = 'watchdog' | 'stop';

export class FfmpegRun {
  readonly startedAt = performance.now();
  /** performance.now() of the first frame seen by the watchdog tick, null before. */
  firstFrameAt: number | null = null;
  lastFrameAt = this.startedAt;
  /** The frame count (delivered + dropped) at the last tick. */
  lastCount = 0;
  /** Resolves when something ended the run (child exit, pump end, watchdog, stop). */
  readonly ended: Promise<void>;
  readonly #opts: FfmpegRunOptions;
  readonly #pump: RingPump;
  #child: ChildProcess | null = null;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  #spawnError: Error | null = null;
  #pumpEnd: PumpEnd | null = null;
  #endedBy: RunEndedBy | null = null;
  #finished = false;
  #resolveEnded!: () => void;

  /** Spawns ffmpeg and starts the pump. Throws (a FrameringError) only if the pipes or the pump cannot be made. */
  constructor(opts: FfmpegRunOptions) {
    this.#opts = opts;
    this.ended = new Promise<void>((resolve) => (this.#resolveEnded = resolve));
    const pipeOpts = opts.pipeBytes ? { pipeBytes: opts.pipeBytes } : undefined;
    const frames = createPipe(pipeOpts);
    let times: { readFd: number; writeFd: number } | null = null;
    try {
      // Frame times are a few dozen bytes per frame: the default pipe size is plenty.
      if (opts.frameTimes) times = createPipe();
      this.#pump = new RingPump(opts.ring, frames.readFd, {
        frameBytes: opts.ring.frameBytes,
        width: opts.ring.width,
        height: opts.ring.height,
        slotId: opts.slotId,
        firstFrameNumber: opts.firstFrameNumber,
        restarts: opts.restarts,
        timesFd: times?.readFd ?? -1,
      });
    } catch (err) {
      for (const fd of [frames.readFd, frames.writeFd, times?.readFd, times?.writeFd]) {
        if (fd !== undefined) closeFd(fd);
      }
      throw err;
    }
    this.#pump.on('end', (info: PumpEnd) => {
      this.#pumpEnd = info;
      this.#resolveEnded();
    });
    try {
      this.#pump.start();
    } catch (err) {
      // The pump never ran (e.g. out of descriptors for its eventfd): stop() closes the read ends it owns; the write
      // ends are still ours. Without this each retry of LiveStream's loop would leak two more descriptors.
      this.#pump.stop();
      closeFd(frames.writeFd);
      if (times) closeFd(times.writeFd);
      throw err;
    }
    opts.tail.clear();
    try {
      // Our write ends become ffmpeg's stdout (and fd 3); the parent's copies are closed right after, so the pump sees
      // EOF as soon as ffmpeg is gone. detached: its own process group, so a terminal's Ctrl-C (sent to the whole
      // foreground group) reaches only us, and ffmpeg ends when the application stops the stream, not before.
      // Our exit still ends it (killOnExit); node keeps the child referenced, so finish() reaps it. We signal the
      // whole group (process_group.ts), so a wrapper script's decoder goes too.
      const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', frames.writeFd, 'pipe'];
      if (times) stdio[FRAME_TIMES_FD] = times.writeFd;
      const child = spawn(opts.ffmpegPath, opts.args, { stdio, detached: true });
      this.#child = child;
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => opts.tail.push(chunk));
      child.once('error', (err) => {
        this.#spawnError = err;
        this.#resolveEnded();
      });
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        this.#resolveEnded();
      });
      if (child.pid !== undefined) killOnExit.add(child);
    } catch (err) {
      // spawn() itself threw (e.g. EAGAIN): end this run like a failed launch; the pump sees EOF and ends.
      this.#spawnError = err as Error;
      this.#resolveEnded();
    } finally {
      closeFd(frames.writeFd);
      if (times) closeFd(times.writeFd);
    }
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Frames of this run so far: committed to the ring, and read but dropped (no free slot). */
  counts(): { frames: number; drops: number } {
    const { frames, drops } = this.#pump.stats();
    return { frames, drops };
  }

  /** Whether the run already ended or was told to (the watchdog then leaves it alone). */
  get isEnding(): boolean {
    return this.#endedBy !== null || this.#exit !== null || this.#pumpEnd !== null;
  }

  /** Ends the run on purpose (the first reason given is kept); finish() then stops ffmpeg. */
  end(by: RunEndedBy): void {
    this.#endedBy ??= by;
    this.#resolveEnded();
  }

  /** Ends the run for good: ffmpeg terminated and reaped, the pump joined. Returns the run's final counts. */
  async finish(): Promise<{ frames: number; drops: number }> {
    if (this.#finished) return this.counts();
    this.#finished = true;
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null && !this.#spawnError) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (this.#exit === null) {
        signalGroup(child, 'SIGTERM');
        signalGroup(child, 'SIGCONT'); // a stopped (SIGSTOPped) ffmpeg must run to act on SIGTERM
        const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), this.#opts.stopTimeoutMs);
        await exited;
        clearTimeout(timer);
      }
    }
    if (child) {
      killOnExit.delete(child);
      // 'exit' can come before stderr is drained: wait for 'close' briefly so the tail holds the last words.
      if (child.stderr && !child.stderr.destroyed) {
        await Promise.race([new Promise((r) => child.stderr!.once('close', r)), delay(1000)]);
      }
    }
    this.#opts.tail.flush();
    // ffmpeg is gone, so the pipe reaches EOF: give the pump a moment to report how the output ended.
    if (!this.#pumpEnd) await Promise.race([new Promise((r) => this.#pump.once('end', r)), delay(2000)]);
    this.#pump.stop();
    return this.counts();
  }

  /** Why the run ended (after finish()): 'end' for a finished non-looping file, else the fault to report. */
  classify(d: RunDescription): StreamError | 'end' {
    const tail = this.#opts.tail;
    const tailLines = tail.snapshot();
    const make = (code: StreamErrorCode, message: string) =>
      new StreamError(code, d.redactor.redact(message), { stderrTail: tailLines });
    const lastWords = tail.last() ? `: ${tail.last()}` : '';
    if (this.#endedBy === 'watchdog') {
      return make('WATCHDOG', `no frame from ${d.where} for ${d.watchdogMs} ms: ffmpeg restarted${lastWords}`);
    }
    if (this.#spawnError) {
      return make(
        'FFMPEG_SPAWN_FAILED',
        `cannot run ${this.#opts.ffmpegPath}: ${this.#spawnError.message}. Check the binary or set FFMPEG_PATH.`,
      );
    }
    const pumpEnd = this.#pumpEnd;
    if (pumpEnd?.reason === 'short-frame') {
      return make(
        'SHORT_FRAME',
        `ffmpeg's output for ${d.where} ended mid-frame ` +
          `(${pumpEnd.partialBytes} of ${this.#opts.ring.frameBytes} bytes); ` +
          `the partial frame was discarded${this.#exitText()}${lastWords}`,
      );
    }
    if (pumpEnd?.reason === 'error') {
      return make('PUMP_ERROR', `reading ffmpeg's output for ${d.where} failed: ${pumpEnd.message}`);
    }
    const cleanExit = this.#exit?.code === 0;
    if (cleanExit && d.endsAtEof) return 'end';
    if (cleanExit) {
      const why = `ffmpeg ended the stream from ${d.where} (exit code 0: the source closed it)${lastWords}`;
      return make('FFMPEG_EXITED', why);
    }
    return make('FFMPEG_EXITED', `ffmpeg failed on ${d.where}${this.#exitText()}${lastWords}`);
  }

  #exitText(): string {
    if (!this.#exit) return '';
    if (this.#exit.signal) return ` (ffmpeg killed by ${this.#exit.signal})`;
    return ` (ffmpeg exit code ${this.#exit.code})`;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
