// LiveStream's options: documented, defaulted and checked before anything starts.
import { isPixelFormat, MAX_DIMENSION, MAX_SLOTS, PIXEL_FORMATS, type PixelFormat } from '../shm/index.js';
import type { BackoffOptions } from './backoff.js';
import type { SourceSpec } from './camera_source.js';
import { StreamError } from './stream_error.js';
import { wholeNumberProblem } from '../shm/internal.js';

export interface LiveStreamOptions {
  /** rtsp://…, http(s)://…, a file path, synthetic://, or an object form (see camera_source.ts). */
  source: SourceSpec;
  /** Frame geometry in the ring: ffmpeg scales to exactly this. */
  width: number;
  height: number;
  /** Frames per second delivered: ffmpeg drops or repeats frames to hit it. */
  fps: number;
  /** 'rgb24' (default), 'bgr24' (what OpenCV-style models take) or 'gray8' (one byte per pixel). */
  pixelFormat?: PixelFormat;
  /**
   * Carry each frame's presentation time (camera time) in meta.ptsUs. Default true; needs ffmpeg ≥ 5.0, older ones
   * give ptsUs null. Costs a few filter calls and a short write per frame (see src/stream/README.md).
   */
  cameraTime?: boolean;
  /** Ring name (segment framering-<name>); default stream-<pid>-<n>. */
  name?: string;
  /** Ring slots (default 8). */
  slots?: number;
  /** Camera id written into every frame's metadata (default 0). */
  slotId?: number;
  /** Restart ffmpeg when no frame arrived for this long (ms). Default 20 000, like Frigate. */
  watchdogMs?: number;
  /**
   * Report 'stalled' after this long without a frame (ms). Default: 10 frame intervals, at least 2 s, at most
   * watchdogMs.
   */
  stallMs?: number;
  /** Reconnect delays; resetAfterMs: a run that streamed this long starts the backoff over (default 10 000). */
  backoff?: BackoffOptions & { resetAfterMs?: number };
  /** stop() and restarts: SIGTERM, then SIGKILL after this long (ms). Default 5000. */
  stopTimeoutMs?: number;
  /** How many of ffmpeg's last stderr lines to keep for error reports (default 50). */
  stderrLines?: number;
  /** The ffmpeg binary; default: FFMPEG_PATH, ffmpeg-static, @ffmpeg-installer/ffmpeg, PATH. */
  ffmpegPath?: string;
  /** Extra ffmpeg options placed before -i (e.g. ['-hwaccel', 'auto']). */
  inputArgs?: string[];
  /** Size of the ffmpeg → pump pipe in bytes (F_SETPIPE_SZ); default 64 KiB, which keeps its pages in cache. */
  pipeBytes?: number;
}

export interface ResolvedStreamOptions {
  width: number;
  height: number;
  fps: number;
  pixelFormat: PixelFormat;
  cameraTime: boolean;
  slots: number;
  slotId: number;
  watchdogMs: number;
  stallMs: number;
  resetBackoffAfterMs: number;
  stopTimeoutMs: number;
  stderrLines: number;
}

/** Check the numeric options; throws StreamError('INVALID_ARGUMENT') listing every problem at once. */
export function resolveStreamOptions(opts: LiveStreamOptions): ResolvedStreamOptions {
  if (opts === null || typeof opts !== 'object')
    throw new StreamError('INVALID_ARGUMENT', 'LiveStream needs an options object: { source, width, height, fps }');
  const problems: string[] = [];
  const int = (name: string, value: unknown, min: number, max: number): number => {
    const problem = wholeNumberProblem(name, value, min, max); // the rings' own check, so both say the same
    if (problem) problems.push(problem);
    return value as number;
  };
  const positive = (name: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      problems.push(`${name} must be a positive number of milliseconds (got ${String(value)})`);
    return value as number;
  };

  const width = int('width', opts.width, 1, MAX_DIMENSION);
  const height = int('height', opts.height, 1, MAX_DIMENSION);
  const fps = opts.fps;
  if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0 || fps > 1000)
    problems.push(`fps must be a number above 0 and at most 1000 (got ${String(fps)})`);
  const pixelFormat = opts.pixelFormat ?? 'rgb24';
  if (!isPixelFormat(pixelFormat))
    problems.push(`pixelFormat must be one of ${PIXEL_FORMATS.join(', ')} (got ${String(pixelFormat)})`);
  if (opts.cameraTime !== undefined && typeof opts.cameraTime !== 'boolean')
    problems.push(`cameraTime must be true or false (got ${String(opts.cameraTime)})`);
  const slots = opts.slots === undefined ? 8 : int('slots', opts.slots, 2, MAX_SLOTS);
  const slotId = opts.slotId === undefined ? 0 : int('slotId', opts.slotId, 0, 0xffff_ffff);
  const watchdogMs = positive('watchdogMs', opts.watchdogMs, 20_000);
  const defaultStall = Math.min(watchdogMs, Math.max(2000, (10 * 1000) / (fps > 0 ? fps : 1)));
  const stallMs = positive('stallMs', opts.stallMs, defaultStall);
  if (stallMs > watchdogMs) problems.push(`stallMs (${stallMs}) must not exceed watchdogMs (${watchdogMs})`);
  const resetBackoffAfterMs = positive('backoff.resetAfterMs', opts.backoff?.resetAfterMs, 10_000);
  const stopTimeoutMs = positive('stopTimeoutMs', opts.stopTimeoutMs, 5000);
  const stderrLines = opts.stderrLines === undefined ? 50 : int('stderrLines', opts.stderrLines, 1, 10_000);
  if (
    opts.inputArgs !== undefined &&
    (!Array.isArray(opts.inputArgs) || opts.inputArgs.some((a) => typeof a !== 'string'))
  ) {
    problems.push('inputArgs must be an array of strings');
  }
  if (opts.pipeBytes !== undefined) int('pipeBytes', opts.pipeBytes, 4096, 1 << 30);
  if (problems.length) throw new StreamError('INVALID_ARGUMENT', `invalid LiveStream options: ${problems.join('; ')}`);
  return {
    width,
    height,
    fps,
    pixelFormat,
    cameraTime: opts.cameraTime ?? true,
    slots,
    slotId,
    watchdogMs,
    stallMs,
    resetBackoffAfterMs,
    stopTimeoutMs,
    stderrLines,
  };
}
