// The ffmpeg command line for a source → raw RGB24 frames of exactly width×height at fps on stdout.
// The only module that imports fluent-ffmpeg (unmaintained upstream): it builds the arguments and nothing else,
// so replacing it touches this file only. Spawning is LiveStream's job: ffmpeg's stdout must be the write end
// of a native pipe that the ring pump reads, which fluent-ffmpeg's own runner cannot do.
// fluent-ffmpeg (and what it requires, ~7 MiB of RSS) is loaded the first time a command is built, so a process that
// imports framering only to analyse frames never pays for it.
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import type Ffmpeg from 'fluent-ffmpeg';

let fluent: typeof Ffmpeg | undefined;
function ffmpeg(): Ffmpeg.FfmpegCommand {
  fluent ??= createRequire(import.meta.url)('fluent-ffmpeg') as typeof Ffmpeg;
  return fluent();
}
import { sourceUrl, type CameraSource } from './camera_source.js';
import type { FfmpegCapabilities } from './ffmpeg_capabilities.js';
import { Redactor } from './redact.js';

export interface OutputGeometry {
  width: number;
  height: number;
  fps: number;
}

export interface FfmpegCommandOptions {
  /** Extra options placed before `-i` (e.g. hardware decoding: ['-hwaccel', 'vaapi']). */
  inputArgs?: readonly string[];
  /** ffmpeg -loglevel (default 'warning': errors and warnings, the lines kept for error reports). */
  logLevel?: string;
}

type Caps = Pick<FfmpegCapabilities, 'rtspSocketTimeoutOption'>;

function inputFor(source: CameraSource, out: OutputGeometry, caps: Caps): { input: string; options: string[] } {
  switch (source.kind) {
    case 'rtsp': {
      const options = ['-rtsp_transport', source.transport];
      // µs; the option's name depends on the ffmpeg version (see ffmpeg_capabilities.ts).
      if (caps.rtspSocketTimeoutOption) options.push(caps.rtspSocketTimeoutOption, String(Math.round(source.timeoutMs * 1000)));
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
      return { input: `${source.pattern}=size=${out.width}x${out.height}:rate=${out.fps}`, options: ['-re', '-f', 'lavfi'] };
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
    return this.#redactor.redact(this.#args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' '));
  }

  [inspect.custom](): string {
    return `FfmpegCommand { ffmpeg ${this.toString()} }`;
  }
}

/** The command for `source`, writing rawvideo rgb24 to stdout (pipe:1). */
export function buildFfmpegCommand(source: CameraSource, out: OutputGeometry, caps: Caps, opts: FfmpegCommandOptions = {}): FfmpegCommand {
  return new FfmpegCommand(buildFfmpegArgs(source, out, caps, opts), Redactor.forUrl(sourceUrl(source)));
}

/** ffmpeg's arguments (without the binary) for `source`, writing rawvideo rgb24 to stdout (pipe:1). */
export function buildFfmpegArgs(source: CameraSource, out: OutputGeometry, caps: Caps, opts: FfmpegCommandOptions = {}): string[] {
  const { input, options } = inputFor(source, out, caps);
  const inputOptions = [
    // Global options: position does not matter to ffmpeg; they go first to read well.
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', opts.logLevel ?? 'warning',
    ...options,
    ...(opts.inputArgs ?? []),
  ];
  const command = ffmpeg()
    .input(input)
    // Variadic form: fluent-ffmpeg would otherwise split single strings on spaces.
    .inputOptions(...inputOptions)
    .output('pipe:1')
    .outputOptions(
      '-map', '0:v:0', '-an', '-sn', '-dn',
      // fps first (fewer frames to scale), then exactly the ring's geometry.
      '-vf', `fps=${out.fps},scale=${out.width}:${out.height}:flags=bilinear`,
      '-pix_fmt', 'rgb24',
      '-f', 'rawvideo',
    );
  // _getArguments is fluent-ffmpeg's internal builder; checked so an upgrade that drops it fails loudly here.
  const builder = (command as unknown as { _getArguments?: () => string[] })._getArguments;
  if (typeof builder !== 'function') throw new Error('fluent-ffmpeg no longer provides _getArguments(): update src/stream/ffmpeg_command.ts');
  return builder.call(command);
}
