// Errors of the stream layer: each carries a stable `code` and a message saying what went wrong and what to do.
// Messages are always redacted (no camera credentials) before they get here; a `cause` is not (it is the
// original error, e.g. a spawn error whose spawnargs hold the ffmpeg command line), so inspect() masks it.
import { inspect } from 'node:util';
import { FrameringError } from '../errors/index.js';
import { redactUrls } from './redact.js';

export type StreamErrorCode =
  | 'INVALID_ARGUMENT' // bad width/height/fps/timeouts…: fix the options (was INVALID_OPTIONS)
  | 'INVALID_SOURCE' // empty URL, unknown scheme, missing file…: fix the source
  | 'FFMPEG_NOT_FOUND' // no usable ffmpeg binary
  | 'FFMPEG_SPAWN_FAILED' // the binary could not be started
  | 'FFMPEG_EXITED' // ffmpeg ended (camera unreachable, stream ended, decode error…)
  | 'SHORT_FRAME' // ffmpeg's output ended mid-frame: the partial frame was discarded
  | 'PUMP_ERROR' // reading ffmpeg's output failed
  | 'WATCHDOG' // no frame for watchdogMs: ffmpeg was restarted
  | 'TIMEOUT' // whenState() waited in vain
  | 'ABORTED' // whenState()'s AbortSignal fired first (the error's name is 'AbortError')
  | 'STOPPED'; // the stream was stopped

export class StreamError extends FrameringError<StreamErrorCode> {
  /** The last lines ffmpeg wrote to stderr before this error (redacted), when it came from ffmpeg. */
  readonly stderrTail: readonly string[];

  constructor(code: StreamErrorCode, message: string, opts: { stderrTail?: readonly string[]; cause?: unknown } = {}) {
    super(code, message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StreamError';
    this.stderrTail = opts.stderrTail ?? [];
  }

  /** console.log(err) prints the cause chain too: URLs in it are shown with their credentials masked. */
  [inspect.custom](_depth: number, options: object): string {
    return redactUrls(inspect(this, { ...options, customInspect: false }));
  }
}
