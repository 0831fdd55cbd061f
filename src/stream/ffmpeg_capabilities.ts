// What the chosen ffmpeg can do, asked once per binary. Options changed meaning across versions: the RTSP socket
// timeout is `-stimeout` up to ffmpeg 4.x, where `-timeout` still means "listen for incoming connections" (which
// would turn a client into a server), and `-timeout` from ffmpeg 5 on (which dropped `-stimeout`).
import { execFile } from 'node:child_process';
import { StreamError } from './stream_error.js';

export interface FfmpegCapabilities {
  /** First line of `ffmpeg -version`. */
  version: string;
  /** The RTSP demuxer's socket I/O timeout option (µs), or null if it has none. */
  rtspSocketTimeoutOption: '-timeout' | '-stimeout' | null;
  /** Whether the lavfi input device exists (needed by the synthetic source). */
  lavfi: boolean;
  /**
   * Whether ffmpeg can send each frame's presentation time unbuffered (the metadata filter's `direct` option,
   * ffmpeg ≥ 5.0): without it the times arrive in late blocks and frames would get none, so camera time is off.
   */
  frameTimes: boolean;
}

const cache = new Map<string, Promise<FfmpegCapabilities>>();

function run(path: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path, args, { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      // `-h` exits 0; older builds print help on stderr: take both.
      if (err && !stdout && !stderr) reject(err);
      else resolve(`${stdout}\n${stderr}`);
    });
  });
}

/** Parse `ffmpeg -h demuxer=rtsp` output. Exported for tests. */
export function parseRtspTimeoutOption(help: string): FfmpegCapabilities['rtspSocketTimeoutOption'] {
  const timeoutLine = help.split('\n').find((l) => /^\s*-timeout\s/.test(l));
  if (timeoutLine && /socket/i.test(timeoutLine)) return '-timeout';
  if (/^\s*-stimeout\s/m.test(help)) return '-stimeout';
  return null;
}

export function probeFfmpeg(path: string): Promise<FfmpegCapabilities> {
  let probe = cache.get(path);
  if (!probe) {
    probe = (async () => {
      let version: string;
      try {
        version = (await run(path, ['-hide_banner', '-version'])).trim().split('\n')[0] ?? '';
      } catch (err) {
        throw new StreamError(
          'FFMPEG_SPAWN_FAILED',
          `cannot run ${path} -version: ${(err as Error).message}. ` +
            `Check that it is an ffmpeg binary for this machine, or set FFMPEG_PATH.`,
          { cause: err },
        );
      }
      const rtspHelp = await run(path, ['-hide_banner', '-h', 'demuxer=rtsp']).catch(() => '');
      const formats = await run(path, ['-hide_banner', '-formats']).catch(() => '');
      const metadataHelp = await run(path, ['-hide_banner', '-h', 'filter=metadata']).catch(() => '');
      return {
        version,
        rtspSocketTimeoutOption: parseRtspTimeoutOption(rtspHelp),
        lavfi: /^\s*D\S*\s+lavfi\b/m.test(formats),
        frameTimes: /^\s*direct\s/m.test(metadataHelp),
      };
    })();
    cache.set(path, probe);
    probe.catch(() => cache.delete(path));
  }
  return probe;
}
