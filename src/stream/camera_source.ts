// What a camera is: a source given as a string or an object, checked and normalised before anything starts.
//   'rtsp://…' / 'rtsps://…'        IP camera (TCP by default, UDP on request, socket timeout)
//   'http://…' / 'https://…'        MJPEG/HLS/… over HTTP
//   '/path/video.mp4', 'file:///…'  a file, looped or not, real-time or as fast as possible
//   'synthetic://' 'synthetic://smptebars'  ffmpeg's test patterns (testsrc2 by default), for demos and tests
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { Redactor } from './redact.js';
import { StreamError } from './stream_error.js';

export type RtspTransport = 'tcp' | 'udp';
export const SYNTHETIC_PATTERNS = ['testsrc2', 'testsrc', 'smptebars', 'smptehdbars', 'rgbtestsrc'] as const;
export type SyntheticPattern = (typeof SYNTHETIC_PATTERNS)[number];

export type SourceSpec =
  | string
  | {
      kind: 'rtsp';
      url: string;
      /** Default 'tcp' (no lost packets → no smeared frames); 'udp' for cameras that only do UDP. */
      transport?: RtspTransport;
      /** Give up on a silent camera after this long (ms). Default 5000. */
      timeoutMs?: number;
      /** Credentials, if not in the URL; they are put into the URL for ffmpeg and redacted everywhere else. */
      username?: string;
      password?: string;
    }
  | { kind: 'http'; url: string; timeoutMs?: number }
  | {
      kind: 'file';
      path: string;
      /** Start again at the end. Default false: the stream stops when the file ends. */
      loop?: boolean;
      /** Read at the file's own frame rate, like a camera (default true); false = as fast as ffmpeg can decode. */
      realtime?: boolean;
    }
  | { kind: 'synthetic'; pattern?: SyntheticPattern };

export type CameraSource =
  | { kind: 'rtsp'; url: string; transport: RtspTransport; timeoutMs: number }
  | { kind: 'http'; url: string; timeoutMs: number }
  | { kind: 'file'; path: string; loop: boolean; realtime: boolean }
  | { kind: 'synthetic'; pattern: SyntheticPattern };

export const DEFAULT_SOCKET_TIMEOUT_MS = 5000;

const URL_SCHEMES: Record<string, 'rtsp' | 'http'> = {
  'rtsp:': 'rtsp',
  'rtsps:': 'rtsp',
  'http:': 'http',
  'https:': 'http',
};

function invalid(message: string): StreamError {
  return new StreamError('INVALID_SOURCE', message);
}

/** `text` as it may appear in an error: the secrets of `source` masked, even when it is too malformed to parse. */
function shown(text: string, source = text): string {
  return Redactor.forUrl(source).redact(text);
}

/** console.log / util.inspect of a network source show its URL redacted (the property itself stays usable). */
function withRedactedView<T extends { url: string }>(source: T): T {
  Object.defineProperty(source, inspect.custom, {
    enumerable: false,
    value: (_depth: number, options: object) =>
      `CameraSource ${inspect({ ...source, url: shown(source.url) }, options)}`,
  });
  return source;
}

function checkTimeout(timeoutMs: number | undefined, where: string): number {
  if (timeoutMs === undefined) return DEFAULT_SOCKET_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw invalid(`${where}: timeoutMs must be a positive number of milliseconds (got ${timeoutMs})`);
  return timeoutMs;
}

function checkNetworkUrl(url: unknown, expected: 'rtsp' | 'http'): string {
  if (typeof url !== 'string' || url.trim() === '')
    throw invalid(
      `the ${expected} source has an empty URL: ` +
        `give e.g. ${expected === 'rtsp' ? 'rtsp://camera-host:554/stream' : 'http://camera-host/video.mjpg'}`,
    );
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw invalid(`not a valid URL: ${shown(url)}`);
  }
  const kind = URL_SCHEMES[parsed.protocol];
  if (kind !== expected) throw invalid(`expected a ${expected} URL, got ${parsed.protocol}// in ${shown(url)}`);
  if (!parsed.hostname)
    throw invalid(`the URL has no host: ${shown(url)} (write it as ${expected}://[user:password@]host[:port]/path)`);
  return url.trim();
}

function checkFile(path: unknown): string {
  if (typeof path !== 'string' || path === '') throw invalid('the file source has an empty path');
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw invalid(`video file not found: ${shown(path)}`);
  }
  if (isDirectory) throw invalid(`the file source is a directory, not a video file: ${shown(path)}`);
  return path;
}

function checkPattern(pattern: unknown): SyntheticPattern {
  if (pattern === undefined || pattern === '') return 'testsrc2';
  if (!(SYNTHETIC_PATTERNS as readonly unknown[]).includes(pattern)) {
    throw invalid(`unknown synthetic pattern "${String(pattern)}": use one of ${SYNTHETIC_PATTERNS.join(', ')}`);
  }
  return pattern as SyntheticPattern;
}

/** Check and normalise a source. Throws StreamError('INVALID_SOURCE') with a redacted message. */
export function parseSource(spec: SourceSpec): CameraSource {
  if (typeof spec === 'string') return parseSourceString(spec);
  if (spec === null || typeof spec !== 'object')
    throw invalid(`a source must be a URL string or an object with a kind, got ${String(spec)}`);
  switch (spec.kind) {
    case 'rtsp': {
      if (spec.transport !== undefined && spec.transport !== 'tcp' && spec.transport !== 'udp') {
        throw invalid(`rtsp transport must be 'tcp' or 'udp' (got ${String(spec.transport)})`);
      }
      let url = checkNetworkUrl(spec.url, 'rtsp');
      if (spec.username !== undefined || spec.password !== undefined) {
        const parsed = new URL(url);
        if (parsed.username || parsed.password)
          throw invalid(`credentials given both in the URL and as username/password: keep one (${shown(url)})`);
        parsed.username = encodeURIComponent(spec.username ?? '');
        parsed.password = encodeURIComponent(spec.password ?? '');
        url = parsed.toString();
      }
      return withRedactedView({
        kind: 'rtsp' as const,
        url,
        transport: spec.transport ?? 'tcp',
        timeoutMs: checkTimeout(spec.timeoutMs, 'rtsp source'),
      });
    }
    case 'http':
      return withRedactedView({
        kind: 'http' as const,
        url: checkNetworkUrl(spec.url, 'http'),
        timeoutMs: checkTimeout(spec.timeoutMs, 'http source'),
      });
    case 'file':
      return { kind: 'file', path: checkFile(spec.path), loop: spec.loop ?? false, realtime: spec.realtime ?? true };
    case 'synthetic':
      return { kind: 'synthetic', pattern: checkPattern(spec.pattern) };
    default:
      throw invalid(
        `unknown source kind "${String((spec as { kind?: unknown }).kind)}": use 'rtsp', 'http', 'file' or 'synthetic'`,
      );
  }
}

function parseSourceString(text: string): CameraSource {
  const s = text.trim();
  if (s === '') throw invalid('the source is empty: give an rtsp:// or http(s):// URL, a file path, or synthetic://');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(s)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    // 'rtsp//host/x' is a URL with its ':' missing, not a file name.
    const typo = /^([a-z][a-z0-9+.-]*)\/\//i.exec(s)?.[1]?.toLowerCase();
    if (typo && URL_SCHEMES[`${typo}:`])
      throw invalid(`${shown(s)} is missing the ':' after "${typo}": write ${typo}://[user:password@]host[:port]/path`);
    return parseSource({ kind: 'file', path: s });
  }
  if (scheme === 'synthetic')
    return {
      kind: 'synthetic',
      pattern: checkPattern(s.slice('synthetic:'.length).replace(/^\/\//, '').replace(/\/$/, '')),
    };
  if (scheme === 'file') {
    let path: string;
    try {
      path = fileURLToPath(s);
    } catch (err) {
      throw invalid(`not a valid file URL: ${shown(s)} (${shown((err as Error).message, s)})`);
    }
    return parseSource({ kind: 'file', path });
  }
  const kind = URL_SCHEMES[`${scheme}:`];
  if (kind === 'rtsp') return parseSource({ kind: 'rtsp', url: s });
  if (kind === 'http') return parseSource({ kind: 'http', url: s });
  throw invalid(
    `unknown source scheme "${scheme}:" in ${shown(s)}: ` +
      `use rtsp://, rtsps://, http://, https://, file:// or synthetic://`,
  );
}

/** The source's URL when it has one (the Redactor learns its secrets from it). */
export function sourceUrl(source: CameraSource): string | undefined {
  return source.kind === 'rtsp' || source.kind === 'http' ? source.url : undefined;
}

/** A short human description, already redacted: for logs, errors and stats. */
export function describeSource(source: CameraSource): string {
  switch (source.kind) {
    case 'rtsp':
      return `${shown(source.url)} (rtsp over ${source.transport})`;
    case 'http':
      return shown(source.url);
    case 'file':
      return `file ${source.path}${source.loop ? ' (looped)' : ''}${source.realtime ? '' : ' (as fast as possible)'}`;
    case 'synthetic':
      return `synthetic ${source.pattern}`;
  }
}
