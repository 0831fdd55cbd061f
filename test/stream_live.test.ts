// LiveStream end to end with real parts: ffmpeg decoding a real RTSP server (GStreamer), files and the synthetic
// source into a real frame ring, read back from /dev/shm with FrameRingClient and checked pixel by pixel.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveStream, StreamError } from '../src/stream/index.js';
import { FFMPEG_SMPTE_BARS, GST_SMPTE_BARS, barsError, nextFrame, openRing } from './support/frames.js';
import { RtspTestServer } from './support/rtsp_test_server.js';
import { StreamRecorder } from './support/stream_recorder.js';

const W = 320;
const H = 240;
const PASSWORD = 'Sup3r-Secret-Pw';
let seq = 0;
const ringName = () => `test-stream-${process.pid}-${++seq}`;
const segmentExists = (name: string) => existsSync(`/dev/shm/framering-${name}`);
/** Gone and reaped: a zombie still has a /proc entry. */
const processGone = (pid: number) => !existsSync(`/proc/${pid}`);

let server: RtspTestServer;
const tmp = mkdtempSync(join(tmpdir(), 'framering-stream-live-'));
const streams: LiveStream[] = [];
function track(stream: LiveStream): LiveStream {
  streams.push(stream);
  return stream;
}

beforeAll(async () => {
  server = await RtspTestServer.start({ width: W, height: H, fps: 10, password: PASSWORD });
});
afterAll(async () => {
  await Promise.all(streams.map((s) => s.stop()));
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function checkBars(stream: LiveStream, expected = GST_SMPTE_BARS, tolerance = 40): Promise<void> {
  const client = await openRing(stream.info());
  try {
    const frame = await nextFrame(client);
    expect(frame.meta.width).toBe(W);
    expect(frame.meta.height).toBe(H);
    expect(frame.meta.bytes).toBe(W * H * 3);
    expect(barsError(frame, expected)).toBeLessThan(tolerance);
  } finally {
    client.close();
  }
}

describe('LiveStream from RTSP', () => {
  for (const transport of ['tcp', 'udp'] as const) {
    it(`decodes real frames over ${transport.toUpperCase()}`, async () => {
      const stream = track(
        new LiveStream({
          source: { kind: 'rtsp', url: server.url(), transport },
          width: W,
          height: H,
          fps: 10,
          name: ringName(),
        }),
      );
      const rec = new StreamRecorder(stream);
      await stream.start();
      await stream.whenState('streaming', 30_000);
      await checkBars(stream);
      await rec.until(() => stream.stats().deliveredFps > 0, 'a delivered fps');
      const stats = stream.stats();
      expect(stats.state).toBe('streaming');
      expect(stats.framesDelivered).toBeGreaterThan(0);
      expect(stats.ffmpegPid).toBeGreaterThan(0);
      expect(stats.restarts).toBe(0);
      expect(stats.source).toContain(transport);
      const pid = stats.ffmpegPid!;
      await stream.stop();
      expect(stream.state).toBe('stopped');
      expect(rec.states).toEqual(['connecting', 'streaming', 'stopped']);
      expect(processGone(pid)).toBe(true);
      expect(segmentExists(stream.name)).toBe(false);
    });
  }

  it('reads a password-protected camera and never shows the password', async () => {
    const stream = track(
      new LiveStream({ source: server.secureUrl(), width: W, height: H, fps: 10, name: ringName() }),
    );
    const rec = new StreamRecorder(stream);
    await stream.start();
    await stream.whenState('streaming', 30_000);
    await checkBars(stream);
    expect(rec.everythingSaid()).not.toContain(PASSWORD);
    expect(stream.stats().source).toBe(`rtsp://***@127.0.0.1:${server.securePort}/secure (rtsp over tcp)`);
    await stream.stop();
  });

  it('a wrong password is a fault that names the problem, not the password', async () => {
    const wrong = 'Wr0ng-Secret-Pw';
    const stream = track(
      new LiveStream({
        source: server.secureUrl('user', wrong),
        width: W,
        height: H,
        fps: 10,
        name: ringName(),
        backoff: { initialMs: 200, maxMs: 500 },
      }),
    );
    const rec = new StreamRecorder(stream);
    await stream.start();
    await rec.until(() => rec.faults.length >= 2, 'two faults');
    const said = rec.everythingSaid();
    expect(said).toMatch(/401|Unauthorized|authorization failed/);
    expect(said).not.toContain(wrong);
    expect(said).not.toContain(PASSWORD);
    expect(rec.faults[0]!.code).toBe('FFMPEG_EXITED');
    expect(rec.faults[0]!.stderrTail.length).toBeGreaterThan(0);
    expect(stream.stats().restarts).toBeGreaterThanOrEqual(2);
    expect(stream.stats().lastError?.message).toContain('***@127.0.0.1');
    await stream.stop();
    expect(rec.everythingSaid()).not.toContain(wrong);
  });
});

describe('LiveStream from other sources', () => {
  it('the synthetic source delivers ffmpeg test patterns', async () => {
    const stream = track(
      new LiveStream({ source: 'synthetic://smptebars', width: W, height: H, fps: 15, name: ringName(), slotId: 7 }),
    );
    await stream.start();
    await stream.whenState('streaming', 20_000);
    await checkBars(stream, FFMPEG_SMPTE_BARS, 12);
    const client = await openRing(stream.info());
    const a = await nextFrame(client);
    const b = await nextFrame(client);
    client.close();
    expect(a.meta.slotId).toBe(7);
    expect(b.meta.seq).toBeGreaterThan(a.meta.seq);
    expect(b.meta.timestampUs).toBeGreaterThanOrEqual(a.meta.timestampUs);
    await stream.stop();
  });

  it('a file read as fast as possible delivers every frame, then ends', async () => {
    const file = join(tmp, 'bars.mp4');
    execFileSync('/usr/bin/ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `smptebars=size=${W}x${H}:rate=10`,
      '-t',
      '3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-y',
      file,
    ]);
    const stream = track(
      new LiveStream({
        source: { kind: 'file', path: file, realtime: false },
        width: W,
        height: H,
        fps: 10,
        name: ringName(),
      }),
    );
    const rec = new StreamRecorder(stream);
    const ended = new Promise<void>((resolve) => stream.once('end', resolve));
    await stream.start();
    await ended;
    await rec.until(() => stream.state === 'stopped', 'stopped');
    const stats = stream.stats();
    expect(stats.framesDelivered).toBe(30);
    expect(stats.restarts).toBe(0);
    expect(rec.faults).toEqual([]);
    expect(segmentExists(stream.name)).toBe(false);
  });

  it('an http(s) source: a clip served over HTTP, ended by the server, is fetched again', async () => {
    const file = join(tmp, 'http.mp4');
    execFileSync('/usr/bin/ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `smptebars=size=${W}x${H}:rate=10`,
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      '-y',
      file,
    ]);
    let requests = 0;
    const http = createServer((req, res) => {
      requests++;
      if (!req.url?.startsWith('/bars.mp4?token=')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'video/mp4' });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as { port: number }).port;
    try {
      const stream = track(
        new LiveStream({
          source: `http://127.0.0.1:${port}/bars.mp4?token=T0ken-Secret`,
          width: W,
          height: H,
          fps: 10,
          name: ringName(),
          backoff: { initialMs: 100, maxMs: 200 },
        }),
      );
      const rec = new StreamRecorder(stream);
      const client = await openRing(stream.info());
      await stream.start();
      const frame = await nextFrame(client);
      client.close();
      expect(barsError(frame, FFMPEG_SMPTE_BARS)).toBeLessThan(40);
      await rec.until(() => rec.faults.length >= 1 && requests >= 2, 'the clip to end and be fetched again');
      expect(rec.faults[0]!.code).toBe('FFMPEG_EXITED');
      expect(rec.everythingSaid()).not.toContain('T0ken-Secret');
      await stream.stop();
    } finally {
      await new Promise((r) => http.close(r));
    }
  });

  it('a looped file plays on past its end, in real time', async () => {
    const file = join(tmp, 'short.mp4');
    execFileSync('/usr/bin/ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `smptebars=size=${W}x${H}:rate=10`,
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-y',
      file,
    ]);
    const stream = track(
      new LiveStream({
        source: { kind: 'file', path: file, loop: true },
        width: W,
        height: H,
        fps: 10,
        name: ringName(),
      }),
    );
    const rec = new StreamRecorder(stream);
    await stream.start();
    await stream.whenState('streaming', 20_000);
    await checkBars(stream, FFMPEG_SMPTE_BARS, 40);
    await rec.until(() => stream.stats().framesDelivered > 25, 'more frames than the file has', 30_000);
    expect(stream.stats().restarts).toBe(0);
    expect(stream.state).toBe('streaming');
    await stream.stop();
  });
});

describe('LiveStream options', () => {
  it('bad options are clear errors before anything starts', () => {
    const bad: Array<[object, string]> = [
      [{ source: 'synthetic://', width: -320, height: 240, fps: 10 }, 'INVALID_ARGUMENT'],
      [{ source: 'synthetic://', width: 320, height: 240, fps: 0 }, 'INVALID_ARGUMENT'],
      [{ source: 'gopher://u:secretpw@cam/x', width: 320, height: 240, fps: 10 }, 'INVALID_SOURCE'],
      [{ source: '', width: 320, height: 240, fps: 10 }, 'INVALID_SOURCE'],
      [{ source: { kind: 'rtsp', url: '' }, width: 320, height: 240, fps: 10 }, 'INVALID_SOURCE'],
      [
        { source: 'synthetic://', width: 320, height: 240, fps: 10, ffmpegPath: '/nonexistent/ffmpeg' },
        'FFMPEG_NOT_FOUND',
      ],
    ];
    for (const [opts, code] of bad) {
      const name = ringName();
      let error: unknown;
      try {
        new LiveStream({ ...opts, name } as never);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(opts)).toBeInstanceOf(StreamError);
      expect((error as StreamError).code).toBe(code);
      expect((error as Error).message).not.toContain('secretpw');
      expect(segmentExists(name)).toBe(false);
    }
  });

  it('stop() before start() just closes the ring; start() after stop() is refused', async () => {
    const stream = new LiveStream({ source: 'synthetic://', width: 64, height: 48, fps: 5, name: ringName() });
    expect(segmentExists(stream.name)).toBe(true);
    await stream.stop();
    expect(segmentExists(stream.name)).toBe(false);
    await expect(stream.start()).rejects.toMatchObject({ code: 'STOPPED' });
  });
});

describe('LiveStream waits and stops', () => {
  it('whenState: Infinity means no limit (the signal ends it), a bad timeout is INVALID_ARGUMENT', async () => {
    const stream = new LiveStream({
      source: 'synthetic://testsrc2',
      width: 160,
      height: 120,
      fps: 5,
      name: ringName(),
    });
    try {
      const controller = new AbortController();
      const waiting = stream.whenState('streaming', { timeoutMs: Infinity, signal: controller.signal });
      const early = await Promise.race([
        waiting.then(
          () => 'resolved',
          (e) => e,
        ),
        sleep(300).then(() => 'waiting'),
      ]);
      expect(early).toBe('waiting'); // not a TIMEOUT at once, as setTimeout(…, Infinity) would give
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError', code: 'ABORTED' });
      await expect(stream.whenState('streaming', { timeoutMs: Number.NaN })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    } finally {
      await stream.stop();
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
