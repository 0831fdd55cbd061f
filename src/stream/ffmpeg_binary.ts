// Which ffmpeg to run. Order: FFMPEG_PATH, ffmpeg-static, @ffmpeg-installer/ffmpeg, `ffmpeg` on PATH.
// Both npm packages are optional dependencies (ffmpeg-static downloads at install time and is absent offline), so
// each is tried and skipped quietly; if nothing works the error lists every attempt and how to fix it.
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { StreamError } from './stream_error.js';

export type FfmpegOrigin = 'FFMPEG_PATH' | 'ffmpeg-static' | '@ffmpeg-installer/ffmpeg' | 'PATH' | 'option';

export interface ResolvedFfmpeg {
  path: string;
  origin: FfmpegOrigin;
}

export interface ResolveFfmpegOptions {
  /** An explicit binary (LiveStream's `ffmpegPath` option): used as is, never falls through. */
  explicitPath?: string;
  /** Environment to read FFMPEG_PATH and PATH from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Try the npm packages (default true); false skips straight to PATH, e.g. to prefer the system's ffmpeg. */
  tryPackages?: boolean;
}

const require = createRequire(import.meta.url);

/** Why a binary cannot be run, or null when it is an executable file. */
export function whyNotExecutable(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return 'not a regular file';
    accessSync(path, constants.X_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'not executable (chmod +x it)';
    return (err as Error).message;
  }
}

export function resolveFfmpeg(opts: ResolveFfmpegOptions = {}): ResolvedFfmpeg {
  const env = opts.env ?? process.env;
  const tried: string[] = [];

  // An explicit choice that does not work is an error, not a reason to silently pick another ffmpeg.
  const explicit: Array<[FfmpegOrigin, string | undefined]> = [
    ['option', opts.explicitPath],
    ['FFMPEG_PATH', env.FFMPEG_PATH],
  ];
  for (const [origin, path] of explicit) {
    if (path === undefined || path === '') continue;
    const problem = whyNotExecutable(path);
    if (problem === null) return { path, origin };
    const what = origin === 'option' ? 'the ffmpegPath option' : 'FFMPEG_PATH';
    throw new StreamError(
      'FFMPEG_NOT_FOUND',
      `${what} points to ${path}, which cannot be used: ${problem}. ` +
        `Fix ${what} or unset it to let framering find ffmpeg.`,
    );
  }
  tried.push('FFMPEG_PATH (not set)');

  const fromPackages: Array<[FfmpegOrigin, () => string | null]> = [
    // ffmpeg-static exports the path even when its download failed: the file check below catches that.
    ['ffmpeg-static', () => require('ffmpeg-static') as string | null],
    ['@ffmpeg-installer/ffmpeg', () => (require('@ffmpeg-installer/ffmpeg') as { path: string }).path],
  ];
  for (const [origin, load] of fromPackages) {
    if (opts.tryPackages === false) {
      tried.push(`${origin} (skipped: tryPackages is false)`);
      continue;
    }
    let path: string | null;
    try {
      path = load();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      tried.push(
        `${origin} (${
          code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND' ? 'not installed' : (err as Error).message
        })`,
      );
      continue;
    }
    if (!path) {
      tried.push(`${origin} (no binary for this platform)`);
      continue;
    }
    const problem = whyNotExecutable(path);
    if (problem === null) return { path, origin };
    tried.push(`${origin} (${path}: ${problem})`);
  }

  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'ffmpeg');
    if (whyNotExecutable(candidate) === null) return { path: candidate, origin: 'PATH' };
  }
  tried.push(`ffmpeg on PATH (not found in ${env.PATH ?? '(PATH unset)'})`);

  throw new StreamError(
    'FFMPEG_NOT_FOUND',
    `no usable ffmpeg found; tried: ${tried.join('; ')}. ` +
      'Install ffmpeg (e.g. `apt-get install ffmpeg`), or `npm install @ffmpeg-installer/ffmpeg`, ' +
      'or set FFMPEG_PATH to an ffmpeg binary.',
  );
}
