// LiveStream: one camera in the main process. Runs ffmpeg (decode, scale, fps → rgb24/bgr24/gray8) with its stdout
// on a native pipe; a native RingPump reads whole frames from that pipe straight into free ring slots, so pixels never
// pass through JS. One such run is an FfmpegRun (ffmpeg_run.ts); around runs, LiveStream keeps states, reconnects with
// backoff, a watchdog, stats (totals over runs, frame numbers and the restart count), and redaction of credentials.
//
// States: idle → connecting → streaming ⇄ stalled → (fault) → reconnecting → connecting … → stopped.
// Events: 'state' (state, previous), 'fault' (StreamError: the run ended badly; a restart follows),
//         'log' (redacted ffmpeg stderr line), 'end' (a non-looping file source finished; the stream stops).
// 'fault' is deliberately not 'error': faults are expected and handled here, and must never crash the process.
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { FrameRingServer, type FrameRingInfo, type PixelFormat, type RingServerStats } from '../shm/index.js';
import { MAX_TIMER_MS, onSharedTick } from '../shm/internal.js';
import { Backoff } from './backoff.js';
import { describeSource, parseSource, sourceUrl, type CameraSource } from './camera_source.js';
import { resolveFfmpeg, type ResolvedFfmpeg } from './ffmpeg_binary.js';
import { probeFfmpeg } from './ffmpeg_capabilities.js';
import { buildFfmpegCommand, type FfmpegCommand } from './ffmpeg_command.js';
import { FfmpegRun } from './ffmpeg_run.js';
import { RateMeter } from './rate_meter.js';
import { Redactor } from './redact.js';
import { StderrTail } from './stderr_tail.js';
import { StreamError, type StreamErrorCode } from './stream_error.js';
import { resolveStreamOptions, type LiveStreamOptions, type ResolvedStreamOptions } from './stream_options.js';

export type { LiveStreamOptions } from './stream_options.js';

export type StreamState = 'idle' | 'connecting' | 'streaming' | 'stalled' | 'reconnecting' | 'stopped';

export interface WhenStateOptions {
  /** Default 30 000. */
  timeoutMs?: number;
  /** Stop waiting (ABORTED) when this fires; the stream itself is not affected. */
  signal?: AbortSignal;
}

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
  /** Whether frames carry camera time (meta.ptsUs): false when cameraTime is off or this ffmpeg cannot send it. */
  cameraTime: boolean;
}

/** LiveStream's events and their arguments: `stream.on('fault', (err) => …)` is type-checked. */
export interface LiveStreamEvents {
  /** The state changed. */
  state: [state: StreamState, previous: StreamState];
  /** A run ended badly (redacted, with ffmpeg's stderr tail); a restart follows after the backoff delay. */
  fault: [error: StreamError];
  /** One line of ffmpeg's stderr, redacted. */
  log: [line: string];
  /** A non-looping file source finished; the stream stops. */
  end: [];
}

let streamCounter = 0;

export class LiveStream extends EventEmitter<LiveStreamEvents> implements AsyncDisposable {
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
  #run: FfmpegRun | null = null;
  #loopDone: Promise<void> | null = null;
  #stopPromise: Promise<void> | null = null;
  #startPromise: Promise<void> | null = null;
  #stopping = false;
  #wakeSleep: (() => void) | null = null;
  /** Stops this stream's look (rates, watchdog; #lookEvery), one timer per period shared by the process's streams. */
  #stopTick: (() => void) | null = null;
  /** The look's period now: 250 ms, or 1000 ms while frames flow; 0 when none runs. */
  #tickMs = 0;
  // Totals of finished runs; the current run's pump counts are added on top.
  #doneIn = 0;
  #doneDelivered = 0;
  #doneDropped = 0;
  #restarts = 0;
  #lastError: LiveStreamStats['lastError'] = null;
  #frameTimes = false;
  readonly #finishedRuns = new WeakSet<FfmpegRun>();

  /** Checks everything and creates the ring; nothing runs until start(). Throws StreamError / RingError. */
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
    this.#ring = new FrameRingServer({
      name: this.name,
      width: this.#opts.width,
      height: this.#opts.height,
      slots: this.#opts.slots,
      pixelFormat: this.#opts.pixelFormat,
    });
  }

  /** The checked source. Its URL holds the credentials: print describeSource(stream.source) or stats().source. */
  get source(): CameraSource {
    return this.#source;
  }

  get state(): StreamState {
    return this.#currentState;
  }

  /** The frames' pixel format: 'rgb24' (default), 'bgr24' or 'gray8'. */
  get pixelFormat(): PixelFormat {
    return this.#opts.pixelFormat;
  }

  /** console.log(stream): what people need, the source redacted (the options and ffmpeg command hold credentials). */
  [inspect.custom](_depth: number, options: object): string {
    const view = {
      name: this.name,
      source: describeSource(this.#source),
      state: this.#currentState,
      ffmpegPid: this.#run?.pid ?? null,
    };
    return `LiveStream ${inspect(view, options)}`;
  }

  /** The ring's description, for processes to attach (FrameRingClient.open(info)). */
  info(): FrameRingInfo {
    return this.#ring.info();
  }

  /** @deprecated Valkka's name for {@link info}; kept for programs written against it. */
  pars(): FrameRingInfo {
    return this.info();
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
    if (this.#stopping)
      return Promise.reject(
        new StreamError('STOPPED', `stream ${this.name} was stopped; create a new LiveStream to start again`),
      );
    this.#startPromise ??= this.#startOnce();
    return this.#startPromise;
  }

  async #startOnce(): Promise<void> {
    const caps = await probeFfmpeg(this.ffmpeg.path);
    if (this.#source.kind === 'synthetic' && !caps.lavfi) {
      throw new StreamError(
        'FFMPEG_SPAWN_FAILED',
        `${this.ffmpeg.path} has no lavfi input, needed by the synthetic source; use another ffmpeg (FFMPEG_PATH)`,
      );
    }
    if (this.#stopping || this.#loopDone !== null) return;
    // Camera time needs an ffmpeg that sends frame times unbuffered; without one, ptsUs stays null (documented).
    this.#frameTimes = this.#opts.cameraTime && caps.frameTimes;
    const command = buildFfmpegCommand(this.#source, this.#opts, caps, {
      inputArgs: this.#raw.inputArgs,
      frameTimes: this.#frameTimes,
    });
    this.#lookEvery(LOOK_STARTING_MS);
    let launched!: () => void;
    const firstLaunch = new Promise<void>((resolve) => (launched = resolve));
    // loop() handles its own faults; the catch only keeps an impossible rejection from crashing the process.
    this.#loopDone = this.#loop(command, launched).catch((err) => {
      this.#lastError = {
        code: 'PUMP_ERROR',
        message: this.#redactor.redact(String((err as Error)?.message ?? err)),
        atMs: Date.now(),
      };
    });
    await firstLaunch;
  }

  /**
   * Resolves when the stream enters `state` (now or later); rejects with StreamError TIMEOUT after timeoutMs (default
   * 30 000), STOPPED if it stops first, or ABORTED (name 'AbortError') when `signal` fires first.
   */
  whenState(state: StreamState, timeoutOrOptions: number | WhenStateOptions = 30_000): Promise<void> {
    const { timeoutMs = 30_000, signal } =
      typeof timeoutOrOptions === 'number' ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
      return Promise.reject(
        new StreamError('INVALID_ARGUMENT', `whenState: timeoutMs must be a number ≥ 0 (Infinity: no limit)`),
      );
    if (this.#currentState === state) return Promise.resolve();
    if (this.#currentState === 'stopped')
      return Promise.reject(new StreamError('STOPPED', `stream ${this.name} is stopped`));
    if (signal?.aborted) return Promise.reject(this.#aborted(state, signal.reason));
    return new Promise((resolve, reject) => {
      const onState = (s: StreamState) => {
        if (s === state) done();
        else if (s === 'stopped')
          done(new StreamError('STOPPED', `stream ${this.name} stopped before reaching '${state}'`));
      };
      const onAbort = () => done(this.#aborted(state, signal?.reason));
      // Node's timers hold at most 2^31-1 ms (a longer one fires at once): beyond that, and for Infinity, no limit.
      const timer =
        timeoutMs > MAX_TIMER_MS
          ? undefined
          : setTimeout(
              () =>
                done(
                  new StreamError(
                    'TIMEOUT',
                    `stream ${this.name} did not reach '${state}' within ${timeoutMs} ms ` +
                      `(state: ${this.#currentState}, last error: ${this.#lastError?.message ?? 'none'})`,
                  ),
                ),
              timeoutMs,
            );
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.off('state', onState);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      this.on('state', onState);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #aborted(state: StreamState, reason: unknown): StreamError {
    const why = reason instanceof Error ? reason.message : reason === undefined ? 'no reason given' : String(reason);
    // No `cause`: the reason is the caller's own; the stream goes on regardless.
    const err = new StreamError(
      'ABORTED',
      `waiting for stream ${this.name} to reach '${state}' was aborted (${why}); the stream goes on`,
    );
    err.name = 'AbortError';
    return err;
  }

  stats(): LiveStreamStats {
    const live = this.#run?.counts();
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
      ffmpegPid: this.#run?.pid ?? null,
      ffmpegPath: this.ffmpeg.path,
      cameraTime: this.#frameTimes,
    };
  }

  /** Ends ffmpeg (SIGTERM, SIGKILL after stopTimeoutMs), reaps it, and closes (unlinks) the ring. Idempotent. */
  stop(): Promise<void> {
    if (!this.#stopPromise) {
      this.#stopping = true;
      this.#stopPromise = (async () => {
        this.#wakeSleep?.();
        this.#run?.end('stop');
        await this.#loopDone?.catch(() => {});
        this.#stopTick?.();
        this.#stopTick = null;
        this.#tickMs = 0;
        this.#ring.close();
        this.#setState('stopped');
      })();
    }
    return this.#stopPromise;
  }

  /** `await using cam = new LiveStream(…)`: stop() when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #setState(state: StreamState): void {
    if (state === this.#currentState) return;
    const previous = this.#currentState;
    this.#currentState = state;
    if (state !== 'stopped' && !this.#stopping)
      this.#lookEvery(
        state === 'streaming' && this.#opts.stallMs >= 2 * LOOK_STEADY_MS ? LOOK_STEADY_MS : LOOK_STARTING_MS,
      );
    this.emit('state', state, previous);
  }

  /**
   * The look at frames, rates and the watchdog (#onTick): every 250 ms until frames flow, so that 'streaming' comes
   * promptly, then every second while they do. Each look wakes the process, and a stall of stallMs (2 s or more
   * then) needs no finer step.
   */
  #lookEvery(periodMs: number): void {
    if (this.#tickMs === periodMs) return;
    this.#stopTick?.();
    this.#tickMs = periodMs;
    this.#stopTick = onSharedTick(periodMs, () => this.#onTick());
  }

  async #loop(command: FfmpegCommand, launched: () => void): Promise<void> {
    try {
      while (!this.#stopping) {
        this.#setState('connecting');
        // A 'state' listener may have called stop() just now, with no run yet for it to end: launch nothing.
        if (this.#stopping) break;
        let run: FfmpegRun | null = null;
        let outcome: StreamError | 'end';
        try {
          run = this.#launch(command.args());
          this.#run = run;
          launched();
          await run.ended;
          await this.#finish(run);
          if (this.#stopping) break;
          outcome = run.classify({
            where: describeSource(this.#source),
            redactor: this.#redactor,
            watchdogMs: this.#opts.watchdogMs,
            endsAtEof: this.#source.kind === 'file' && !this.#source.loop,
          });
        } catch (err) {
          // Anything unexpected (out of file descriptors, a native error…) is a fault like any other: retried.
          launched();
          if (run) await this.#finish(run).catch(() => {});
          if (this.#stopping) break;
          // No `cause`: a system error may carry the spawn arguments, credentials included.
          outcome = new StreamError(
            'FFMPEG_SPAWN_FAILED',
            this.#redactor.redact(`cannot run ffmpeg for ${describeSource(this.#source)}: ${(err as Error).message}`),
          );
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

  /** A new run: frame numbers go on from every frame read so far, and each frame carries the restarts before it. */
  #launch(args: string[]): FfmpegRun {
    return new FfmpegRun({
      ffmpegPath: this.ffmpeg.path,
      args,
      ring: this.#ring,
      slotId: this.#opts.slotId,
      firstFrameNumber: this.#doneIn,
      restarts: this.#restarts,
      frameTimes: this.#frameTimes,
      pipeBytes: this.#raw.pipeBytes,
      stopTimeoutMs: this.#opts.stopTimeoutMs,
      tail: this.#tail,
    });
  }

  /** Ends the run for good and adds its counts to the totals (once). */
  async #finish(run: FfmpegRun): Promise<void> {
    if (this.#finishedRuns.has(run)) return;
    this.#finishedRuns.add(run);
    const s = await run.finish();
    this.#doneIn += s.frames + s.drops;
    this.#doneDelivered += s.frames;
    this.#doneDropped += s.drops;
  }

  #fault(err: StreamError): void {
    this.#restarts++;
    this.#lastError = { code: err.code, message: err.message, atMs: Date.now() };
    this.emit('fault', err);
  }

  /** Waits the backoff delay in 'reconnecting'; false if stop() came meanwhile. */
  async #sleepBeforeRetry(run: FfmpegRun | null): Promise<boolean> {
    if (this.#stopping) return false;
    // A run that streamed long enough proved the camera works: start the backoff over.
    if (run?.firstFrameAt != null && performance.now() - run.firstFrameAt >= this.#opts.resetBackoffAfterMs)
      this.#backoff.reset();
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

  /** Each look (#lookEvery): sample rates, move between streaming and stalled, and fire the watchdog. */
  #onTick(): void {
    const now = performance.now();
    const run = this.#run;
    const live = run?.counts();
    const framesIn = this.#doneIn + (live ? live.frames + live.drops : 0);
    this.#inputRate.sample(now, framesIn);
    this.#deliveredRate.sample(now, this.#doneDelivered + (live?.frames ?? 0));
    if (!run || !live || run.isEnding) return;
    const count = live.frames + live.drops;
    if (count !== run.lastCount) {
      run.lastCount = count;
      run.lastFrameAt = now;
      run.firstFrameAt ??= now;
      this.#setState('streaming');
      return;
    }
    // lastFrameAt is the look that saw the count move (up to one look after the frame): half a look's grace keeps a
    // stall of stallMs from waiting a whole extra look when the looks' intervals come out a hair under their period.
    const silentMs = now - run.lastFrameAt + this.#tickMs / 2;
    if (silentMs >= this.#opts.watchdogMs) {
      this.#setState('stalled');
      run.end('watchdog');
    } else if (silentMs >= this.#opts.stallMs && run.firstFrameAt !== null) {
      this.#setState('stalled');
    }
  }
}

const LOOK_STARTING_MS = 250;
const LOOK_STEADY_MS = 1000;

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
