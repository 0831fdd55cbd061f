// LiveStream when things go wrong, with real parts: the RTSP server killed and restarted mid-stream, a closed
// port, a server that accepts and never answers, a frozen ffmpeg (watchdog), a frozen camera (stalled, then
// recovered), and ffmpeg output cut mid-frame.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveStream } from '../src/stream/index.js';
import { GST_SMPTE_BARS, barsError, nextFrame, openRing } from './support/frames.js';
import { RtspTestServer } from './support/rtsp_test_server.js';
import { StreamRecorder } from './support/stream_recorder.js';
import { freePort } from './support/wait.js';

const W = 320;
const H = 240;
let seq = 0;
const ringName = () => `test-faults-${process.pid}-${++seq}`;
const streams: LiveStream[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'framering-stream-faults-'));
function track(stream: LiveStream): LiveStream {
  streams.push(stream);
  return stream;
}

afterAll(async () => {
  await Promise.all(streams.map((s) => s.stop()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('LiveStream faults against a real RTSP server', () => {
  let server: RtspTestServer;
  beforeAll(async () => {
    server = await RtspTestServer.start({ width: W, height: H, fps: 10 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('recovers on its own when the camera is killed and comes back', async () => {
    const stream = track(
      new LiveStream({
        source: server.url(),
        width: W,
        height: H,
        fps: 10,
        name: ringName(),
        backoff: { initialMs: 200, maxMs: 1000 },
      }),
    );
    const rec = new StreamRecorder(stream);
    await stream.start();
    await stream.whenState('streaming', 30_000);
    const client = await openRing(stream.info());
    const before = await nextFrame(client);
    const firstPid = stream.stats().ffmpegPid;

    await server.kill();
    await rec.until(() => rec.faults.length >= 2 && stream.state !== 'streaming', 'faults while the camera is down');
    expect(rec.states).toContain('reconnecting');
    await server.restart();
    await stream.whenState('streaming', 30_000);

    const after = await nextFrame(client);
    expect(after.meta.seq).toBeGreaterThan(before.meta.seq);
    expect(barsError(after, GST_SMPTE_BARS)).toBeLessThan(40);
    client.close();
    const stats = stream.stats();
    expect(stats.restarts).toBeGreaterThanOrEqual(2);
    expect(stats.ffmpegPid).not.toBe(firstPid);
    expect(stats.lastError?.code).toBe('FFMPEG_EXITED');
    await stream.stop();
  });

  it('restarts a frozen ffmpeg through the watchdog', async () => {
    const stream = track(
      new LiveStream({
        source: server.url(),
        width: W,
        height: H,
        fps: 10,
        name: ringName(),
        // The watchdog also covers connecting: leave ffmpeg time to probe the stream (~3 s at 10 fps).
        stallMs: 1000,
        watchdogMs: 8000,
        stopTimeoutMs: 1000,
        backoff: { initialMs: 100, maxMs: 500 },
      }),
    );
    const rec = new StreamRecorder(stream);
    await stream.start();
    await stream.whenState('streaming', 30_000);
    const frozenPid = stream.stats().ffmpegPid!;
    process.kill(frozenPid, 'SIGSTOP');
    await stream.whenState('stalled', 10_000);
    await rec.until(() => rec.faults.some((f) => f.code === 'WATCHDOG'), 'the watchdog');
    await stream.whenState('streaming', 30_000);
    expect(stream.stats().ffmpegPid).not.toBe(frozenPid);
    expect(existsSync(`/proc/${frozenPid}`)).toBe(false); // killed and reaped, no zombie
    await checkBarsNow(stream);
    const i = rec.states.indexOf('stalled');
    expect(rec.states.slice(i)).toEqual(['stalled', 'reconnecting', 'connecting', 'streaming']);
    await stream.stop();
  });

  it('reports a frozen camera as stalled and goes back to streaming when it resumes', async () => {
    const stream = track(
      new LiveStream({
        source: { kind: 'rtsp', url: server.url(), timeoutMs: 20_000 },
        width: W,
        height: H,
        fps: 10,
        name: ringName(),
        // The default at 10 fps: while frames flow the stream looks at them once a second, not every 250 ms.
        stallMs: 2000,
        watchdogMs: 20_000,
      }),
    );
    const rec = new StreamRecorder(stream);
    await stream.start();
    await stream.whenState('streaming', 30_000);
    server.pause();
    const pausedAt = performance.now();
    try {
      await stream.whenState('stalled', 10_000);
      // stallMs after the last frame, give or take half a look (0.5 s), and whatever frames were on the way.
      expect(performance.now() - pausedAt).toBeLessThan(6000);
    } finally {
      server.resume();
    }
    await stream.whenState('streaming', 15_000);
    expect(stream.stats().restarts).toBe(0);
    expect(rec.faults).toEqual([]);
    await stream.stop();
  });
});

async function checkBarsNow(stream: LiveStream): Promise<void> {
  const client = await openRing(stream.info());
  try {
    expect(barsError(await nextFrame(client), GST_SMPTE_BARS)).toBeLessThan(40);
  } finally {
    client.close();
  }
}

describe('LiveStream with a camera that never answers', () => {
  it('a closed port: backoff, counted restarts, no crash', async () => {
    const port = await freePort();
    const stream = track(
      new LiveStream({
        source: `rtsp://admin:NeverShown1@127.0.0.1:${port}/live`,
        width: W,
        height: H,
        fps: 10,
        name: ringName(),
        backoff: { initialMs: 100, maxMs: 400 },
      }),
    );
    const rec = new StreamRecorder(stream);
    await stream.start();
    await rec.until(() => stream.stats().restarts >= 3, 'three restarts');
    expect(rec.states.slice(0, 4)).toEqual(['connecting', 'reconnecting', 'connecting', 'reconnecting']);
    expect(rec.states).not.toContain('streaming');
    const stats = stream.stats();
    expect(stats.lastError?.code).toBe('FFMPEG_EXITED');
    expect(stats.lastError?.message).toMatch(/Connection refused/i);
    expect(stats.framesDelivered).toBe(0);
    expect(rec.everythingSaid()).not.toContain('NeverShown1');
    await stream.stop();
    expect(stream.state).toBe('stopped');
  });

  it('a server that accepts and stays silent: the socket timeout gives up, then retries', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const stream = track(
        new LiveStream({
          source: { kind: 'rtsp', url: `rtsp://127.0.0.1:${port}/live`, timeoutMs: 1000 },
          width: W,
          height: H,
          fps: 10,
          name: ringName(),
          watchdogMs: 15_000,
          backoff: { initialMs: 100, maxMs: 300 },
        }),
      );
      const rec = new StreamRecorder(stream);
      await stream.start();
      await rec.until(() => rec.faults.length >= 2, 'two faults', 40_000);
      // ffmpeg's own socket timeout ended each attempt, well before the watchdog.
      expect(rec.faults.every((f) => f.code === 'FFMPEG_EXITED')).toBe(true);
      await stream.stop();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('LiveStream with broken ffmpeg output', () => {
  it('output cut mid-frame is a SHORT_FRAME fault: the partial frame never reaches the ring', async () => {
    // A real ffmpeg whose output is cut after one and a half frames, as by a crash mid-write.
    const frameBytes = 64 * 48 * 3;
    const wrapper = join(tmp, 'cut-ffmpeg.sh');
    writeFileSync(
      wrapper,
      `#!/bin/sh\ncase "$*" in\n  *pipe:1*) /usr/bin/ffmpeg "$@" | head ` +
        `-c ${frameBytes * 1.5}; exit 0;;\nesac\nexec /usr/bin/ffmpeg "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    const stream = track(
      new LiveStream({
        source: 'synthetic://smptebars',
        width: 64,
        height: 48,
        fps: 10,
        name: ringName(),
        ffmpegPath: wrapper,
        backoff: { initialMs: 10_000, maxMs: 10_000, jitter: 0 }, // no restart while we look
      }),
    );
    const rec = new StreamRecorder(stream);
    const client = await openRing(stream.info()); // attached before the first frame, to see it
    await stream.start();
    await rec.until(() => rec.faults.length >= 1, 'a fault');
    const fault = rec.faults[0]!;
    expect(fault.code).toBe('SHORT_FRAME');
    expect(fault.message).toContain(`${frameBytes / 2} of ${frameBytes} bytes`);
    expect(stream.stats().framesDelivered).toBe(1);
    const frame = await nextFrame(client, 1000);
    expect(frame.meta.bytes).toBe(frameBytes);
    client.close();
    expect(stream.stats().framesDelivered).toBe(1);
    await stream.stop();
  });
});
