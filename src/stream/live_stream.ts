// LiveStream: one camera in the main process. Runs ffmpeg (decode, scale, fps → rgb24) with its stdout on a
// native pipe; a native RingPump reads whole frames from that pipe straight into free ring slots, so pixels never
// pass through JS. Around that: states, reconnects with backoff, a watchdog, stats, and redaction of credentials.
//
// States: idle → connecting → streaming ⇄ stalled → (fault) → reconnecting → connecting … → stopped.
// Events: 'state' (state, previous), 'fault' (StreamError: the run ended badly; a restart follows),
//         'log' (redacted ffmpeg stderr line), 'end' (a non-looping file source finished; the stream stops).
// 'fault' is deliberately not 'error': faults are expected and handled here, and must never crash the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { closeFd, createPipe, FrameRingServer, RingPump, type FrameRingPars, type RingServerStats } from '../shm/index.js';
import { Backoff } from './backoff.js';
import { describeSource, parseSource, sourceUrl, type CameraSource } from './camera_source.js';
import { resolveFfmpeg, type ResolvedFfmpeg } from './ffmpeg_binary.js';
import { probeFfmpeg } from './ffmpeg_capabilities.js';
import { buildFfmpegCommand, type FfmpegCommand } from './ffmpeg_command.js';
import { killOnExit } from './kill_on_exit.js';
import { signalGroup } from './process_group.js';
import { RateMeter } from './rate_meter.js';
import { Redactor } from './redact.js';
import { StderrTail } from './stderr_tail.js';
import { StreamError, type StreamErrorCode } from './stream_error.js';
import { resolveStreamOptions, type LiveStreamOptions, type ResolvedStreamOptions } from './stream_options.js';

export type { LiveStreamOptions } from './stream_options.js';

export type StreamState = 'idle' | 'connecting' | 'streaming' | 'stalled' | 'reconnecting' | 'stopped';

export interface LiveStreamStats {
  name: string;
  /** The source, redacted. */
  source: string;
  state: StreamState;
  /** Frames per second ffmpeg wrote into the pipe (delivered + dropped), over the last few seconds. */
  inputFps: number;
  /** Frames per second committed to the ring. */
  deliveredFps: number;
  /** Totals since start(), over all ffmpeg runs. */
  framesIn: number;
  framesDelivered: number;
  /** Frames read but not stored: no free ring slot (every slot held by readers). */
  droppedFrames: number;
  /** ffmpeg runs that ended in a fault and were (or will be) restarted. */
  restarts: number;
  lastError: { code: StreamErrorCode; message: string; atMs: number } | null;
  ffmpegPid: number | null;
  ffmpegPath: string;
}

interface PumpEnd {
  reason: 'eof' | 'short-frame' | 'error';
  message: string;
  partialBytes: number;
}

/** One ffmpeg run: the child, its pump, and why it ended. */
interface Run {
  child: ChildProcess | null;
  pump: RingPump;
  startedAt: number;
  firstFrameAt: number | null;
  lastFrameAt: number;
  lastCount: number;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  spawnError: Error | null;
  pumpEnd: PumpEnd | null;
  /** Set by the watchdog or stop(): the run was ended on purpose. */
  endedBy: 'watchdog' | 'stop' | null;
  finished: boolean;
  /** Resolves when something ended the run (child exit, pump end, watchdog, stop). */
  ended: Promise<void>;
  end: () => void;
}

let streamCounter = 0;

export class LiveStream extends EventEmitter {
  readonly name: string;
  readonly ffmpeg: ResolvedFfmpeg;
  // Real private fields (#): util.inspect and console.log never see them, and several hold the camera URL with its
  // credentials (the source, the raw options, the ffmpeg command, the child process's spawnargs).
  readonly #source: CameraSource;
  readonly #opts: ResolvedStreamOptions;
  readonly #raw: LiveStreamOptions;
  readonly #ring: FrameRingServer;
  readonly #redactor: Redactor;
  readonly #tail: StderrTail;
  readonly #backoff: Backoff;
  readonly #inputRate = new RateMeter();
  readonly #deliveredRate = new RateMeter();
  #currentState: StreamState = 'idle';
  #run: Run | null = null;
  #loopDone: Promise<void> | null = null;
  #stopPromise: Promise<void> | null = null;
  #startPromise: Promise<void> | null = null;
  #stopping = false;
  #wakeSleep: (() => void) | null = null;
  #tick: NodeJS.Timeout | null = null;
  // Totals of finished runs; the current run's pump counts are added on top.
  #doneIn = 0;
  #doneDelivered = 0;
  #doneDropped = 0;
  #restarts = 0;
  #lastError: LiveStreamStats['lastError'] = null;

  /** Checks everything and creates the ring; nothing runs until start(). Throws StreamError / FrameringError. */
  constructor(options: LiveStreamOptions) {
    super();
    this.#opts = resolveStreamOptions(options);
    this.#raw = options;
    this.#source = parseSource(options.source);
    this.#redactor = Redactor.forUrl(sourceUrl(this.#source));
    this.ffmpeg = resolveFfmpeg({ explicitPath: options.ffmpegPath });
    this.#backoff = new Backoff(options.backoff);
    this.#tail = new StderrTail(this.#opts.stderrLines, this.#redactor, (line) => this.emit('log', line));
    this.name = options.name ?? `stream-${process.pid}-${++streamCounter}`;
    this.#ring = new FrameRingServer({ name: this.name, width: this.#opts.width, height: this.#opts.height, slots: this.#opts.slots });
  }

  /** The checked source. Its URL holds the credentials: print describeSource(stream.source) or stats().source. */
  get source(): CameraSource {
    return this.#source;
  }

  get state(): StreamState {
    return this.#currentState;
  }

  /** console.log(stream): what people need, the source redacted (the options and ffmpeg command hold credentials). */
  [inspect.custom](_depth: number, options: object): string {
    const view = { name: this.name, source: describeSource(this.#source), state: this.#currentState, ffmpegPid: this.#run?.child?.pid ?? null };
    return `LiveStream ${inspect(view, options)}`;
  }

  /** The ring's description, for processes to attach (FrameRingClient.open(pars)). */
  pars(): FrameRingPars {
    return this.#ring.pars();
  }

  /** The ring's writer-side counters: readers, and the slots each holds (null once stopped). */
  ringStats(): RingServerStats | null {
    return this.#ring.isClosed ? null : this.#ring.stats();
  }

  /** ffmpeg's last stderr lines, redacted. */
  stderrTail(): string[] {
    return this.#tail.snapshot();
  }

  /** Starts ffmpeg; resolves once the first run is launched (frames follow: see whenState('streaming')). */
  start(): Promise<void> {
    if (this.#stopping) return Promise.reject(new StreamError('STOPPED', `stream ${this.name} was stopped; create a new LiveStream to start again`));
    this.#startPromise ??= this.#startOnce();
    return this.#startPromise;
  }

  async #startOnce(): Promise<void> {
    const caps = await probeFfmpeg(this.ffmpeg.path);
    if (this.#source.kind === 'synthetic' && !caps.lavfi) {
      throw new StreamError('FFMPEG_SPAWN_FAILED', `${this.ffmpeg.path} has no lavfi input, needed by the synthetic source; use another ffmpeg (FFMPEG_PATH)`);
    }
    if (this.#stopping || this.#loopDone) return;
    const command = buildFfmpegCommand(this.#source, this.#opts, caps, { inputArgs: this.#raw.inputArgs });
    this.#tick = setInterval(() => this.#onTick(), 250);
    this.#tick.unref();
    let launched!: () => void;
    const firstLaunch = new Promise<void>((resolve) => (launched = resolve));
    // loop() handles its own faults; the catch only keeps an impossible rejection from crashing the process.
    this.#loopDone = this.#loop(command, launched).catch((err) => {
      this.#lastError = { code: 'PUMP_ERROR', message: this.#redactor.redact(String((err as Error)?.message ?? err)), atMs: Date.now() };
    });
    await firstLaunch;
  }

  /** Resolves when the stream enters `state` (now or later); rejects after timeoutMs or if it stops first. */
  whenState(state: StreamState, timeoutMs = 30_000): Promise<void> {
    if (this.#currentState === state) return Promise.resolve();
    if (this.#currentState === 'stopped') return Promise.reject(new StreamError('STOPPED', `stream ${this.name} is stopped`));
    return new Promise((resolve, reject) => {
      const onState = (s: StreamState) => {
        if (s === state) done();
        else if (s === 'stopped') done(new StreamError('STOPPED', `stream ${this.name} stopped before reaching '${state}'`));
      };
      const timer = setTimeout(() => done(new StreamError('TIMEOUT', `stream ${this.name} did not reach '${state}' within ${timeoutMs} ms (state: ${this.#currentState}, last error: ${this.#lastError?.message ?? 'none'})`)), timeoutMs);
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.off('state', onState);
        if (err) reject(err);
        else resolve();
      };
      this.on('state', onState);
    });
  }

  stats(): LiveStreamStats {
    const live = this.#run?.pump.stats();
    const stopped = this.#currentState === 'stopped';
    return {
      name: this.name,
      source: describeSource(this.#source),
      state: this.#currentState,
      inputFps: stopped ? 0 : round1(this.#inputRate.rate()),
      deliveredFps: stopped ? 0 : round1(this.#deliveredRate.rate()),
      framesIn: this.#doneIn + (live ? live.frames + live.drops : 0),
      framesDelivered: this.#doneDelivered + (live?.frames ?? 0),
      droppedFrames: this.#doneDropped + (live?.drops ?? 0),
      restarts: this.#restarts,
      lastError: this.#lastError && { ...this.#lastError },
      ffmpegPid: this.#run?.child?.pid ?? null,
      ffmpegPath: this.ffmpeg.path,
    };
  }

  /** Ends ffmpeg (SIGTERM, SIGKILL after stopTimeoutMs), reaps it, and closes (unlinks) the ring. Idempotent. */
  stop(): Promise<void> {
    if (!this.#stopPromise) {
      this.#stopping = true;
      this.#stopPromise = (async () => {
        this.#wakeSleep?.();
        if (this.#run) {
          this.#run.endedBy ??= 'stop';
          this.#run.end();
        }
        await this.#loopDone?.catch(() => {});
        if (this.#tick) clearInterval(this.#tick);
        this.#ring.close();
        this.#setState('stopped');
      })();
    }
    return this.#stopPromise;
  }

  #setState(state: StreamState): void {
    if (state === this.#currentState) return;
    const previous = this.#currentState;
    this.#currentState = state;
    this.emit('state', state, previous);
  }

  async #loop(command: FfmpegCommand, launched: () => void): Promise<void> {
    try {
      while (!this.#stopping) {
        this.#setState('connecting');
        let run: Run | null = null;
        let outcome: StreamError | 'end';
        try {
          run = this.#launch(command.args());
          this.#run = run;
          launched();
          await run.ended;
          await this.#finish(run);
          if (this.#stopping) break;
          outcome = this.#classify(run);
        } catch (err) {
          // Anything unexpected (out of file descriptors, a native error…) is a fault like any other: retried.
          launched();
          if (run) await this.#finish(run).catch(() => {});
          if (this.#stopping) break;
          // No `cause`: a system error may carry the spawn arguments, credentials included.
          outcome = new StreamError('FFMPEG_SPAWN_FAILED', this.#redactor.redact(`cannot run ffmpeg for ${describeSource(this.#source)}: ${(err as Error).message}`));
        } finally {
          this.#run = null;
        }
        if (outcome === 'end') {
          this.emit('end');
          void this.stop();
          break;
        }
        this.#fault(outcome);
        if (!(await this.#sleepBeforeRetry(run))) break;
      }
    } finally {
      this.#run = null;
      launched();
    }
  }

  /** Spawns ffmpeg with stdout on a fresh native pipe, and starts the pump on the read end. */
  #launch(args: string[]): Run {
    const { readFd, writeFd } = createPipe(this.#raw.pipeBytes ? { pipeBytes: this.#raw.pipeBytes } : undefined);
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    let pump: RingPump;
    try {
      pump = new RingPump(this.#ring, readFd, {
        frameBytes: this.#opts.width * this.#opts.height * 3,
        width: this.#opts.width,
        height: this.#opts.height,
        slotId: this.#opts.slotId,
      });
    } catch (err) {
      closeFd(readFd);
      closeFd(writeFd);
      throw err;
    }
    const now = performance.now();
    const run: Run = {
      child: null, pump, startedAt: now, firstFrameAt: null, lastFrameAt: now, lastCount: 0,
      exit: null, spawnError: null, pumpEnd: null, endedBy: null, finished: false, ended, end,
    };
    pump.on('end', (info: PumpEnd) => {
      run.pumpEnd = info;
      end();
    });
    pump.start();
    this.#tail.clear();
    try {
      // Our write end becomes ffmpeg's stdout; the parent's copy is closed right after, so the pump sees EOF
      // as soon as ffmpeg is gone. detached: its own process group, so a terminal's Ctrl-C (sent to the whole
      // foreground group) reaches only us, and ffmpeg ends when the application stops the stream, not before.
      // Our exit still ends it (killOnExit); node keeps the child referenced, so stop() reaps it. We signal the
      // whole group (process_group.ts), so a wrapper script's decoder goes too.
      const child = spawn(this.ffmpeg.path, args, { stdio: ['ignore', writeFd, 'pipe'], detached: true });
      run.child = child;
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => this.#tail.push(chunk));
      child.once('error', (err) => {
        run.spawnError = err;
        end();
      });
      child.once('exit', (code, signal) => {
        run.exit = { code, signal };
        end();
      });
      if (child.pid !== undefined) killOnExit.add(child);
    } catch (err) {
      // spawn() itself threw (e.g. EAGAIN): end this run like a failed launch; the pump sees EOF and ends.
      run.spawnError = err as Error;
      end();
    } finally {
      closeFd(writeFd);
    }
    return run;
  }

  /** Ends the run for good: ffmpeg terminated and reaped, pump joined, its counts added to the totals. */
  async #finish(run: Run): Promise<void> {
    if (run.finished) return;
    run.finished = true;
    const child = run.child;
    if (child && child.exitCode === null && child.signalCode === null && !run.spawnError) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (run.exit === null) {
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
    this.#tail.flush();
    // ffmpeg is gone, so the pipe reaches EOF: give the pump a moment to report how the output ended.
    if (!run.pumpEnd) await Promise.race([new Promise((r) => run.pump.once('end', r)), delay(2000)]);
    run.pump.stop();
    const s = run.pump.stats();
    this.#doneIn += s.frames + s.drops;
    this.#doneDelivered += s.frames;
    this.#doneDropped += s.drops;
  }

  /** Why the run ended: 'end' for a finished non-looping file, else the fault to report. */
  #classify(run: Run): StreamError | 'end' {
    const tailLines = this.#tail.snapshot();
    const where = describeSource(this.#source);
    const make = (code: StreamErrorCode, message: string) =>
      new StreamError(code, this.#redactor.redact(message), { stderrTail: tailLines });
    const lastWords = this.#tail.last() ? `: ${this.#tail.last()}` : '';
    if (run.endedBy === 'watchdog') {
      return make('WATCHDOG', `no frame from ${where} for ${this.#opts.watchdogMs} ms: ffmpeg restarted${lastWords}`);
    }
    if (run.spawnError) {
      return make('FFMPEG_SPAWN_FAILED', `cannot run ${this.ffmpeg.path}: ${run.spawnError.message}. Check the binary or set FFMPEG_PATH.`);
    }
    if (run.pumpEnd?.reason === 'short-frame') {
      const frameBytes = this.#opts.width * this.#opts.height * 3;
      return make('SHORT_FRAME', `ffmpeg's output for ${where} ended mid-frame (${run.pumpEnd.partialBytes} of ${frameBytes} bytes); the partial frame was discarded${exitText(run)}${lastWords}`);
    }
    if (run.pumpEnd?.reason === 'error') {
      return make('PUMP_ERROR', `reading ffmpeg's output for ${where} failed: ${run.pumpEnd.message}`);
    }
    const cleanExit = run.exit?.code === 0;
    if (cleanExit && this.#source.kind === 'file' && !this.#source.loop) return 'end';
    if (cleanExit) return make('FFMPEG_EXITED', `ffmpeg ended the stream from ${where} (exit code 0: the source closed it)${lastWords}`);
    return make('FFMPEG_EXITED', `ffmpeg failed on ${where}${exitText(run)}${lastWords}`);
  }

  #fault(err: StreamError): void {
    this.#restarts++;
    this.#lastError = { code: err.code, message: err.message, atMs: Date.now() };
    this.emit('fault', err);
  }

  /** Waits the backoff delay in 'reconnecting'; false if stop() came meanwhile. */
  async #sleepBeforeRetry(run: Run | null): Promise<boolean> {
    if (this.#stopping) return false;
    // A run that streamed long enough proved the camera works: start the backoff over.
    if (run?.firstFrameAt != null && performance.now() - run.firstFrameAt >= this.#opts.resetBackoffAfterMs) this.#backoff.reset();
    this.#setState('reconnecting');
    const ms = this.#backoff.next();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wakeSleep = null;
    return !this.#stopping;
  }

  /** Every 250 ms: sample rates, move between streaming and stalled, and fire the watchdog. */
  #onTick(): void {
    const now = performance.now();
    const run = this.#run;
    const live = run?.pump.stats();
    const framesIn = this.#doneIn + (live ? live.frames + live.drops : 0);
    this.#inputRate.sample(now, framesIn);
    this.#deliveredRate.sample(now, this.#doneDelivered + (live?.frames ?? 0));
    if (!run || !live || run.endedBy || run.exit || run.pumpEnd) return;
    const count = live.frames + live.drops;
    if (count !== run.lastCount) {
      run.lastCount = count;
      run.lastFrameAt = now;
      run.firstFrameAt ??= now;
      this.#setState('streaming');
      return;
    }
    const silentMs = now - run.lastFrameAt;
    if (silentMs >= this.#opts.watchdogMs) {
      run.endedBy = 'watchdog';
      this.#setState('stalled');
      run.end();
    } else if (silentMs >= this.#opts.stallMs && run.firstFrameAt !== null) {
      this.#setState('stalled');
    }
  }
}

function exitText(run: Run): string {
  if (!run.exit) return '';
  if (run.exit.signal) return ` (ffmpeg killed by ${run.exit.signal})`;
  return ` (ffmpeg exit code ${run.exit.code})`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
