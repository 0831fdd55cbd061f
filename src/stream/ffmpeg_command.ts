// The ffmpeg command line for a source → raw frames (rgb24, bgr24 or gray8) of exactly width×height at fps on stdout,
// and optionally each frame's presentation time on fd 3. Built here as a plain argument list: spawning is
// LiveStream's job (ffmpeg's stdout must be the write end of a native pipe that the ring pump reads), so a command
// builder such as fluent-ffmpeg would only add a dependency (archived upstream) for a dozen lines.
import { inspect } from 'node:util';
import type { PixelFormat } from '../shm/index.js';
import { sourceUrl, type CameraSource } from './camera_source.js';
import type { FfmpegCapabilities } from './ffmpeg_capabilities.js';
import { Redactor } from './redact.js';

export interface OutputGeometry {
  width: number;
  height: number;
  fps: number;
  /** Default rgb24. */
  pixelFormat?: PixelFormat;
}

/** ffmpeg's name of each pixel format. */
const FFMPEG_PIX_FMT: Readonly<Record<PixelFormat, string>> = { rgb24: 'rgb24', bgr24: 'bgr24', gray8: 'gray' };

/** The descriptor ffmpeg writes frame times to, when asked (spawn it with this fd in its stdio). */
export const FRAME_TIMES_FD = 3;

export interface FfmpegCommandOptions {
  /** Extra options placed before `-i` (e.g. hardware decoding: ['-hwaccel', 'vaapi']). */
  inputArgs?: readonly string[];
  /** ffmpeg -loglevel (default 'warning': errors and warnings, the lines kept for error reports). */
  logLevel?: string;
  /**
   * Write each output frame's presentation time to fd 3 as `frame:<n> pts:<µs>` lines (RingPump's timesFd). Needs
   * the metadata filter's `direct` option (ffmpeg ≥ 5.0; see ffmpeg_capabilities.ts).
   */
  frameTimes?: boolean;
}

type Caps = Pick<FfmpegCapabilities, 'rtspSocketTimeoutOption'>;

function inputFor(source: CameraSource, out: OutputGeometry, caps: Caps): { input: string; options: string[] } {
  switch (source.kind) {
    case 'rtsp': {
      const options = ['-rtsp_transport', source.transport];
      // µs; the option's name depends on the ffmpeg version (see ffmpeg_capabilities.ts).
      if (caps.rtspSocketTimeoutOption)
        options.push(caps.rtspSocketTimeoutOption, String(Math.round(source.timeoutMs * 1000)));
      return { input: source.url, options };
    }
    case 'http':
      return { input: source.url, options: ['-rw_timeout', String(Math.round(source.timeoutMs * 1000))] };
    case 'file':
      return {
        input: source.path,
        options: [...(source.loop ? ['-stream_loop', '-1'] : []), ...(source.realtime ? ['-re'] : [])],
      };
    case 'synthetic':
      // Generated at the output size and rate already; -re paces it like a camera.
      return {
        input: `${source.pattern}=size=${out.width}x${out.height}:rate=${out.fps}`,
        options: ['-re', '-f', 'lavfi'],
      };
  }
}

/** ffmpeg's argument list for one source. It holds the camera URL, credentials included: printed, it is redacted. */
export class FfmpegCommand {
  // Real private fields: util.inspect and console.log never see them.
  readonly #args: readonly string[];
  readonly #redactor: Redactor;

  constructor(args: readonly string[], redactor: Redactor) {
    this.#args = [...args];
    this.#redactor = redactor;
  }

  /** The arguments (without the binary) to spawn ffmpeg with, credentials included. */
  args(): string[] {
    return [...this.#args];
  }

  /** The command line for people, credentials masked. */
  toString(): string {
    return this.#redactor.redact(
      this.#args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' '),
    );
  }

  [inspect.custom](): string {
    return `FfmpegCommand { ffmpeg ${this.toString()} }`;
  }
}

/** The command for `source`, writing rawvideo to stdout (pipe:1). */
export function buildFfmpegCommand(
  source: CameraSource,
  out: OutputGeometry,
  caps: Caps,
  opts: FfmpegCommandOptions = {},
): FfmpegCommand {
  return new FfmpegCommand(buildFfmpegArgs(source, out, caps, opts), Redactor.forUrl(sourceUrl(source)));
}

// After fps and scale, so that there is one line per frame written; settb=AVTB turns the pts into µs integers (the
// printed pts_time has 6 significant digits only). The metadata filter prints only frames that carry the key, so the
// first one adds it. direct=1: unbuffered, so a frame's line is in the pipe before its bytes (frame_time_channel.h).
// The file name is escaped twice (graph, then option level): with one backslash ffmpeg would write a file named "pipe".
const FRAME_TIMES_FILTERS =
  `settb=AVTB,metadata=mode=add:key=framering:value=1,` +
  `metadata=mode=print:key=framering:file=pipe\\\\:${FRAME_TIMES_FD}:direct=1`;

/** ffmpeg's arguments (without the binary) for `source`, writing rawvideo to stdout (pipe:1). */
export function buildFfmpegArgs(
  source: CameraSource,
  out: OutputGeometry,
  caps: Caps,
  opts: FfmpegCommandOptions = {},
): string[] {
  const { input, options } = inputFor(source, out, caps);
  // fps first (fewer frames to scale), then exactly the ring's geometry.
  const filters = [`fps=${out.fps}`, `scale=${out.width}:${out.height}:flags=bilinear`];
  if (opts.frameTimes) filters.push(FRAME_TIMES_FILTERS);
  return [
    // Global options: position does not matter to ffmpeg; they go first to read well.
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    opts.logLevel ?? 'warning',
    ...options,
    ...(opts.inputArgs ?? []),
    '-i',
    input,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    filters.join(','),
    '-pix_fmt',
    FFMPEG_PIX_FMT[out.pixelFormat ?? 'rgb24'],
    '-f',
    'rawvideo',
    'pipe:1',
  ];
}
