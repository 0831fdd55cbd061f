// The stream layer's pure parts: redaction, backoff, source parsing, option checks, ffmpeg resolution and
// capabilities, and the command line (run for real against ffmpeg's synthetic source).
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Backoff } from '../src/stream/backoff.js';
import { describeSource, parseSource } from '../src/stream/camera_source.js';
import { resolveFfmpeg } from '../src/stream/ffmpeg_binary.js';
import { parseRtspTimeoutOption, probeFfmpeg } from '../src/stream/ffmpeg_capabilities.js';
import { buildFfmpegArgs } from '../src/stream/ffmpeg_command.js';
import { Redactor, redactUrls } from '../src/stream/redact.js';
import { StderrTail } from '../src/stream/stderr_tail.js';
import { StreamError } from '../src/stream/stream_error.js';
import { resolveStreamOptions } from '../src/stream/stream_options.js';

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'framering-stream-units-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StreamError);
    return (err as StreamError).code;
  }
  return undefined;
}

describe('redaction', () => {
  it('masks user info in URLs inside any text', () => {
    expect(redactUrls('rtsp://admin:hunter2@10.0.0.5:554/live')).toBe('rtsp://***@10.0.0.5:554/live');
    expect(redactUrls('[rtsp @ 0x1] rtsp://u:p@h/x: Connection refused')).toBe(
      '[rtsp @ 0x1] rtsp://***@h/x: Connection refused',
    );
    // An unencoded '@' in the password: masked up to the last '@' of the authority.
    expect(redactUrls('rtsp://admin:p@ss@cam/x')).toBe('rtsp://***@cam/x');
    expect(redactUrls('http://cam/video?user=admin&password=secret&x=1&channel=2')).toBe(
      'http://cam/video?user=***&password=***&x=***&channel=2',
    );
    expect(redactUrls('no url here')).toBe('no url here');
  });

  it('masks a source URL’s secrets wherever they appear, in every encoding', () => {
    const r = Redactor.forUrl('rtsp://admin:p%40ss%20w0rd@cam/x');
    expect(r.redact('password was p@ss w0rd')).toBe('password was ***');
    expect(r.redact('encoded p%40ss%20w0rd here')).toBe('encoded *** here');
    const basic = Buffer.from('admin:p@ss w0rd').toString('base64');
    expect(r.redact(`Authorization: Basic ${basic}`)).toBe('Authorization: Basic ***');
  });

  it('the stderr tail keeps the last lines, redacted and bounded', () => {
    const seen: string[] = [];
    const tail = new StderrTail(3, Redactor.forUrl('rtsp://u:topsecret@h/x'), (l) => seen.push(l));
    tail.push('line1\nline2 rtsp://u:topsecret@h/x\r\nline3\rline4 topsecret');
    tail.push(' partial');
    expect(tail.snapshot()).toEqual(['line1', 'line2 rtsp://***@h/x', 'line3']);
    tail.push(' end\n');
    tail.push('x'.repeat(5000));
    tail.flush();
    const lines = tail.snapshot();
    expect(lines[0]).toBe('line3');
    expect(lines[1]).toBe('line4 *** partial end');
    expect(lines[2]!.length).toBeLessThan(1100);
    expect(seen.join('\n')).not.toContain('topsecret');
  });
});

describe('backoff', () => {
  it('grows exponentially, stays bounded, and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0, random: () => 0.5 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    for (let i = 0; i < 2000; i++) expect(b.next()).toBe(1000);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('jitter spreads delays within [d·(1−jitter), d]', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5 });
    const delays = Array.from({ length: 200 }, () => b.next());
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1000);
    expect(new Set(delays).size).toBeGreaterThan(10);
  });

  it('rejects nonsense', () => {
    expect(codeOf(() => new Backoff({ initialMs: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new Backoff({ initialMs: 100, maxMs: 10 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new Backoff({ jitter: 2 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('sources', () => {
  it('parses every kind with defaults', () => {
    expect(parseSource('rtsp://cam:554/live')).toEqual({
      kind: 'rtsp',
      url: 'rtsp://cam:554/live',
      transport: 'tcp',
      timeoutMs: 5000,
    });
    expect(parseSource({ kind: 'rtsp', url: 'rtsp://cam/x', transport: 'udp', timeoutMs: 1500 })).toMatchObject({
      transport: 'udp',
      timeoutMs: 1500,
    });
    expect(parseSource('https://cam/video.mjpg')).toMatchObject({ kind: 'http' });
    expect(parseSource('synthetic://')).toEqual({ kind: 'synthetic', pattern: 'testsrc2' });
    expect(parseSource('synthetic://smptebars')).toEqual({ kind: 'synthetic', pattern: 'smptebars' });
    expect(parseSource({ kind: 'synthetic' })).toEqual({ kind: 'synthetic', pattern: 'testsrc2' });
    const file = join(tmp, 'a video.mp4');
    writeFileSync(file, 'x');
    expect(parseSource(file)).toEqual({ kind: 'file', path: file, loop: false, realtime: true });
    expect(parseSource(`file://${encodeURI(file)}`)).toMatchObject({ kind: 'file', path: file });
    expect(parseSource({ kind: 'file', path: file, loop: true, realtime: false })).toMatchObject({
      loop: true,
      realtime: false,
    });
  });

  it('puts separate credentials into the URL, and never shows them', () => {
    const src = parseSource({ kind: 'rtsp', url: 'rtsp://cam/x', username: 'admin', password: 'p@ss/word' });
    expect(src).toMatchObject({ url: 'rtsp://admin:p%40ss%2Fword@cam/x' });
    expect(describeSource(src)).toBe('rtsp://***@cam/x (rtsp over tcp)');
  });

  it('bad sources are clear errors, without credentials in the message', () => {
    const bad: unknown[] = [
      '',
      '   ',
      'ftp://u:secretpw@host/x',
      'rtsp://',
      'rtsp://u:secretpw@',
      { kind: 'rtsp', url: '' },
      { kind: 'rtsp', url: 'rtsp://h/x', transport: 'sctp' },
      { kind: 'rtsp', url: 'rtsp://h/x', timeoutMs: 0 },
      { kind: 'webcam' },
      { kind: 'synthetic', pattern: 'nope' },
      '/no/such/file.mp4',
      tmp,
      'http://u:secretpw@',
    ];
    for (const spec of bad) {
      let error: StreamError | undefined;
      try {
        parseSource(spec as never);
      } catch (err) {
        error = err as StreamError;
      }
      expect(error, JSON.stringify(spec)).toBeInstanceOf(StreamError);
      expect(error!.code).toBe('INVALID_SOURCE');
      expect(error!.message).not.toContain('secretpw');
    }
  });
});

describe('stream options', () => {
  it('accepts good ones with defaults', () => {
    expect(resolveStreamOptions({ source: 'synthetic://', width: 320, height: 240, fps: 15 })).toMatchObject({
      slots: 8,
      watchdogMs: 20_000,
      stallMs: 2000,
      stopTimeoutMs: 5000,
      stderrLines: 50,
    });
    expect(resolveStreamOptions({ source: 'x', width: 2, height: 2, fps: 0.5 }).stallMs).toBe(20_000);
  });

  it('lists every problem at once', () => {
    try {
      resolveStreamOptions({
        source: 'synthetic://',
        width: -320,
        height: 240.5,
        fps: 0,
        watchdogMs: 1000,
        stallMs: 5000,
      });
      expect.unreachable();
    } catch (err) {
      expect((err as StreamError).code).toBe('INVALID_ARGUMENT');
      for (const word of ['width', 'height', 'fps', 'stallMs']) expect((err as Error).message).toContain(word);
    }
  });
});

describe('ffmpeg resolution', () => {
  it('follows FFMPEG_PATH, then the packages, then PATH', () => {
    const fake = join(tmp, 'my-ffmpeg');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    expect(resolveFfmpeg({ env: { FFMPEG_PATH: fake, PATH: '' } })).toEqual({ path: fake, origin: 'FFMPEG_PATH' });
    // ffmpeg-static is absent here (its install downloads, which fails offline); @ffmpeg-installer is installed.
    expect(resolveFfmpeg({ env: { PATH: '' } }).origin).toBe('@ffmpeg-installer/ffmpeg');
    expect(resolveFfmpeg({ explicitPath: fake, env: {} })).toEqual({ path: fake, origin: 'option' });
  });

  it('an unusable FFMPEG_PATH is an error, not a silent fallback', () => {
    const notExec = join(tmp, 'not-executable');
    writeFileSync(notExec, 'x');
    chmodSync(notExec, 0o644);
    let message = '';
    try {
      resolveFfmpeg({ env: { FFMPEG_PATH: notExec } });
    } catch (err) {
      expect((err as StreamError).code).toBe('FFMPEG_NOT_FOUND');
      message = (err as Error).message;
    }
    expect(message).toContain('not executable');
    expect(codeOf(() => resolveFfmpeg({ env: { FFMPEG_PATH: join(tmp, 'missing') } }))).toBe('FFMPEG_NOT_FOUND');
  });

  it('finds ffmpeg on PATH, and says what it tried when nothing is found', () => {
    const dir = mkdtempSync(join(tmp, 'bin-'));
    writeFileSync(join(dir, 'ffmpeg'), '#!/bin/sh\n');
    chmodSync(join(dir, 'ffmpeg'), 0o755);
    expect(resolveFfmpeg({ env: { PATH: `/nonexistent:${dir}` }, tryPackages: false })).toEqual({
      path: join(dir, 'ffmpeg'),
      origin: 'PATH',
    });
    let message = '';
    try {
      resolveFfmpeg({ env: { PATH: tmp }, tryPackages: false });
    } catch (err) {
      expect((err as StreamError).code).toBe('FFMPEG_NOT_FOUND');
      message = (err as Error).message;
    }
    for (const word of ['FFMPEG_PATH', 'ffmpeg-static', '@ffmpeg-installer/ffmpeg', 'PATH', 'apt-get install ffmpeg'])
      expect(message).toContain(word);
  });
});

describe('ffmpeg capabilities', () => {
  it('knows which option is the RTSP socket timeout', () => {
    expect(
      parseRtspTimeoutOption('  -timeout  <int64>  .D... set timeout (in microseconds) of socket I/O operations'),
    ).toBe('-timeout');
    expect(
      parseRtspTimeoutOption(
        '  -timeout <int> .D... set maximum timeout (in seconds) to wait for incoming connections\n' +
          '  -stimeout <int> .D... set timeout (in microseconds) of socket TCP I/O operations',
      ),
    ).toBe('-stimeout');
    expect(parseRtspTimeoutOption('')).toBeNull();
  });

  it('probes the real binaries', async () => {
    const debian = await probeFfmpeg('/usr/bin/ffmpeg');
    expect(debian.rtspSocketTimeoutOption).toBe('-timeout');
    expect(debian.lavfi).toBe(true);
    const chosen = await probeFfmpeg(resolveFfmpeg().path);
    expect(chosen.version).toMatch(/^ffmpeg version/);
    expect(chosen.rtspSocketTimeoutOption).not.toBeNull();
  });
});

describe('ffmpeg command', () => {
  const out = { width: 64, height: 48, fps: 10 };

  it('builds input options per source kind', () => {
    const caps = { rtspSocketTimeoutOption: '-timeout' as const };
    const rtsp = buildFfmpegArgs(
      parseSource({ kind: 'rtsp', url: 'rtsp://h/x', transport: 'udp', timeoutMs: 2500 }),
      out,
      caps,
    );
    const i = rtsp.indexOf('-i');
    expect(rtsp.slice(0, i)).toEqual(expect.arrayContaining(['-rtsp_transport', 'udp', '-timeout', '2500000']));
    expect(rtsp[i + 1]).toBe('rtsp://h/x');
    expect(rtsp.slice(-7)).toEqual([
      '-vf',
      'fps=10,scale=64:48:flags=bilinear',
      '-pix_fmt',
      'rgb24',
      '-f',
      'rawvideo',
      'pipe:1',
    ]);
    expect(buildFfmpegArgs(parseSource('rtsp://h/x'), out, { rtspSocketTimeoutOption: '-stimeout' })).toContain(
      '-stimeout',
    );
    const file = join(tmp, 'v.mp4');
    writeFileSync(file, 'x');
    const looped = buildFfmpegArgs(parseSource({ kind: 'file', path: file, loop: true, realtime: true }), out, caps);
    expect(looped.slice(0, looped.indexOf('-i'))).toEqual(expect.arrayContaining(['-stream_loop', '-1', '-re']));
    const fast = buildFfmpegArgs(parseSource({ kind: 'file', path: file, loop: false, realtime: false }), out, caps);
    expect(fast).not.toContain('-re');
    expect(fast).not.toContain('-stream_loop');
  });

  it('produces exactly width×height×3 bytes per frame from a real ffmpeg', async () => {
    const { path } = resolveFfmpeg();
    const args = buildFfmpegArgs(parseSource('synthetic://smptebars'), out, await probeFfmpeg(path));
    const limited = [...args.slice(0, -1), '-frames:v', '3', 'pipe:1'].filter((a) => a !== '-re');
    const { stdout } = await run(path, limited, { encoding: 'buffer', maxBuffer: 1 << 20 });
    expect(stdout.length).toBe(64 * 48 * 3 * 3);
    // smptebars: the leftmost bar is light grey (75% white).
    const [r, g, b] = [stdout[24 * 64 * 3 + 3], stdout[24 * 64 * 3 + 4], stdout[24 * 64 * 3 + 5]];
    for (const c of [r, g, b]) expect(c).toBeGreaterThan(150);
  });
});
