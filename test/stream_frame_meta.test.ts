// LiveStream's frame meta with a real ffmpeg: camera time (ptsUs), frame numbers that count on across an ffmpeg
// restart with the restart count, and the pixel formats rgb24, bgr24 and gray8 (channel order checked on colour bars).
import { existsSync, mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GreySampler, MotionDetector, SnapshotWriter } from '../src/analysis/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameRingClient, FrameRingServer, type PixelFormat, type SlotMeta } from '../src/shm/index.js';
import { closeFd, createPipe, RingPump, type PumpEnd } from '../src/shm/internal.js';
import { buildFfmpegArgs } from '../src/stream/internal.js';
import { LiveStream, parseSource, probeFfmpeg, resolveFfmpeg, type LiveStreamOptions } from '../src/stream/index.js';
import { ChecksumProcess } from './fixtures/process/checksum_process.js';
import { FFMPEG_SMPTE_BARS } from './support/frames.js';
import { RtspTestServer } from './support/rtsp_test_server.js';

const W = 140; // 7 bars of 20 pixels
const H = 60;
let seq = 0;
const ringName = () => `test-framemeta-${process.pid}-${++seq}`;
const streams: LiveStream[] = [];

afterAll(async () => {
  await Promise.all(streams.map((s) => s.stop()));
});

async function started(
  opts: Omit<LiveStreamOptions, 'width' | 'height' | 'name'> & { width?: number; height?: number },
): Promise<LiveStream> {
  const stream = new LiveStream({ width: W, height: H, name: ringName(), ...opts });
  streams.push(stream);
  await stream.start();
  await stream.whenState('streaming', 30_000);
  return stream;
}

interface Seen {
  meta: SlotMeta;
  pixels: Uint8Array;
  format: string;
  bytesPerPixel: number;
  droppedBefore: number;
}

/** Frames in order ('every'), copied, until `enough` says so. */
async function collect(
  client: FrameRingClient,
  enough: (seen: Seen[]) => boolean,
  timeoutMs = 30_000,
): Promise<Seen[]> {
  const seen: Seen[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!enough(seen)) {
    if (Date.now() > deadline) throw new Error(`collected ${seen.length} frames, not enough within ${timeoutMs} ms`);
    const frame = client.pull(20);
    if (!frame) {
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    seen.push({
      meta: frame.meta,
      pixels: frame.copy(),
      format: frame.format,
      bytesPerPixel: frame.bytesPerPixel,
      droppedBefore: frame.droppedBefore,
    });
    frame.release();
  }
  return seen;
}

/** The bytes of the pixel in the middle of bar i (of 7), a quarter of the way down. */
function barPixel(s: Seen, i: number): number[] {
  const x = Math.floor(((i + 0.5) * W) / 7);
  const o = (Math.floor(H / 4) * W + x) * s.bytesPerPixel;
  return Array.from(s.pixels.subarray(o, o + s.bytesPerPixel));
}

describe('pixel formats, with a real ffmpeg on smptebars', () => {
  it('rgb24 (default): R, G, B in that order', async () => {
    const stream = await started({ source: 'synthetic://smptebars', fps: 10 });
    expect(stream.pixelFormat).toBe('rgb24');
    const client = FrameRingClient.open(stream.info());
    expect(client.pixelFormat).toBe('rgb24');
    const [f] = await collect(client, (s) => s.length >= 1);
    client.close();
    expect(f!.format).toBe('rgb24');
    expect(f!.meta.format).toBe('rgb24');
    expect(f!.pixels.length).toBe(W * H * 3);
    const red = barPixel(f!, 5); // 75% red: [191, 0, 0]
    expect(red[0]).toBeGreaterThan(150);
    expect(red[2]).toBeLessThan(40);
    expect(Math.max(...barPixel(f!, 6).map((v, ch) => Math.abs(v - FFMPEG_SMPTE_BARS[6]![ch]!)))).toBeLessThan(40);
  });

  it('bgr24: the same bars with blue first', async () => {
    const stream = await started({ source: 'synthetic://smptebars', fps: 10, pixelFormat: 'bgr24' });
    const client = FrameRingClient.open(stream.info());
    expect(client.pixelFormat).toBe('bgr24');
    expect(client.bytesPerPixel).toBe(3);
    const [f] = await collect(client, (s) => s.length >= 1);
    client.close();
    expect(f!.format).toBe('bgr24');
    expect(f!.meta.format).toBe('bgr24');
    expect(f!.pixels.length).toBe(W * H * 3);
    const red = barPixel(f!, 5); // red in BGR: [0, 0, 191]
    expect(red[2]).toBeGreaterThan(150);
    expect(red[0]).toBeLessThan(40);
    const blue = barPixel(f!, 6); // blue in BGR: [191, 0, 0]
    expect(blue[0]).toBeGreaterThan(150);
    expect(blue[2]).toBeLessThan(40);
  });

  it('gray8: one byte per pixel, light bars brighter than dark ones', async () => {
    const stream = await started({ source: 'synthetic://smptebars', fps: 10, pixelFormat: 'gray8' });
    const client = FrameRingClient.open(stream.info());
    expect(client.pixelFormat).toBe('gray8');
    const [f] = await collect(client, (s) => s.length >= 1);
    client.close();
    expect(f!.format).toBe('gray8');
    expect(f!.bytesPerPixel).toBe(1);
    expect(f!.pixels.length).toBe(W * H);
    expect(f!.meta.bytes).toBe(W * H);
    const luma = Array.from({ length: 7 }, (_, i) => barPixel(f!, i)[0]!);
    // 75% bars by falling luma: grey, yellow, cyan, green, magenta, red, blue.
    for (let i = 1; i < 7; i++) expect(luma[i]!).toBeLessThan(luma[i - 1]!);
  });

  it('a pars that names another pixel format is refused (RING_INVALID)', () => {
    const server = new FrameRingServer({ name: ringName(), width: 8, height: 8, pixelFormat: 'gray8' });
    try {
      expect(server.frameBytes).toBe(64);
      expect(() => FrameRingClient.open({ ...server.info(), pixelFormat: 'rgb24' })).toThrow(
        expect.objectContaining({ code: 'RING_INVALID' }),
      );
      expect(
        () => new FrameRingServer({ name: ringName(), width: 8, height: 8, pixelFormat: 'yuv420p' as never }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(
        () => new LiveStream({ source: 'synthetic://', width: 8, height: 8, fps: 1, pixelFormat: 'rgba' as never }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('pixelFormat') }));
    } finally {
      server.close();
    }
  });

  it('ffmpeg gets -pix_fmt, and the frame-times filters only when asked', async () => {
    const caps = await probeFfmpeg(resolveFfmpeg().path);
    const out = { width: 64, height: 48, fps: 10 };
    const gray = buildFfmpegArgs(parseSource('synthetic://'), { ...out, pixelFormat: 'gray8' }, caps);
    expect(gray.slice(-5)).toEqual(['-pix_fmt', 'gray', '-f', 'rawvideo', 'pipe:1']);
    expect(gray.join(' ')).not.toContain('metadata=');
    const timed = buildFfmpegArgs(parseSource('synthetic://'), out, caps, { frameTimes: true });
    expect(timed[timed.indexOf('-vf') + 1]).toMatch(
      /^fps=10,scale=64:48:flags=bilinear,settb=AVTB,metadata=mode=add.*file=pipe\\\\:3:direct=1$/,
    );
  });
});

/** An ffmpeg that can send frame times (≥ 5.0): the default one if it can, else the system's (Debian's 5.1 here). */
async function timedFfmpeg(): Promise<string> {
  for (const path of [resolveFfmpeg().path, '/usr/bin/ffmpeg']) {
    if (existsSync(path) && (await probeFfmpeg(path)).frameTimes) return path;
  }
  throw new Error('no ffmpeg ≥ 5.0 on this machine: camera time cannot be tested');
}

describe('camera time and restarts, with a real ffmpeg', () => {
  it('ptsUs is the source timeline: one frame interval apart, independent of when frames were committed', async () => {
    const stream = await started({ source: 'synthetic://testsrc2', fps: 10, ffmpegPath: await timedFfmpeg() });
    expect(stream.stats().cameraTime).toBe(true);
    const client = FrameRingClient.open(stream.info(), { policy: 'every' });
    const seen = await collect(client, (s) => s.length >= 12);
    client.close();
    const inOrder = seen.filter(
      (s, i) => i > 0 && s.droppedBefore === 0 && s.meta.frameNumber === seen[i - 1]!.meta.frameNumber + 1,
    );
    expect(inOrder.length).toBeGreaterThan(5);
    for (const s of inOrder) {
      const prev = seen[seen.indexOf(s) - 1]!;
      expect(s.meta.ptsUs! - prev.meta.ptsUs!).toBe(100_000); // exactly 1/fps: the camera's clock, not the commit's
    }
    for (const s of seen) {
      expect(s.meta.ptsUs).not.toBeNull();
      // lavfi starts at 0: the pts of frame n (since start, in this run) is n / fps.
      expect(s.meta.ptsUs).toBe(s.meta.frameNumber * 100_000);
      expect(s.meta.restarts).toBe(0);
    }
  });

  it('from a real RTSP camera: ptsUs steps by exactly one output interval', async () => {
    const server = await RtspTestServer.start({ width: 160, height: 120, fps: 10 });
    try {
      const stream = await started({
        source: server.url(),
        width: 160,
        height: 120,
        fps: 5,
        ffmpegPath: await timedFfmpeg(),
      });
      const client = FrameRingClient.open(stream.info(), { policy: 'every' });
      const seen = await collect(client, (s) => s.length >= 8, 60_000);
      client.close();
      await stream.stop();
      let pairs = 0;
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [seen[i - 1]!.meta, seen[i]!.meta];
        if (b.frameNumber !== a.frameNumber + 1) continue;
        expect(b.ptsUs! - a.ptsUs!).toBe(200_000); // the camera's 10 fps through fps=5: every other frame
        pairs++;
      }
      expect(pairs).toBeGreaterThan(3);
      expect(seen.every((f) => f.meta.ptsUs !== null && f.meta.ptsUs % 200_000 === 0)).toBe(true);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('cameraTime: false leaves ptsUs null', async () => {
    const stream = await started({
      source: 'synthetic://',
      fps: 10,
      cameraTime: false,
      ffmpegPath: await timedFfmpeg(),
    });
    const client = FrameRingClient.open(stream.info());
    const [f] = await collect(client, (s) => s.length >= 1);
    client.close();
    expect(f!.meta.ptsUs).toBeNull();
    expect(f!.meta.timestampUs).toBeGreaterThan(Date.now() * 1000 - 60_000_000);
  });

  it('an ffmpeg that cannot send frame times unbuffered (4.x) gives ptsUs null, never a wrong time', async () => {
    const installer = join(process.cwd(), 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
    if (!existsSync(installer) || (await probeFfmpeg(installer)).frameTimes) return; // no old ffmpeg here to try
    const stream = await started({ source: 'synthetic://', fps: 10, ffmpegPath: installer });
    expect(stream.stats().cameraTime).toBe(false);
    const client = FrameRingClient.open(stream.info());
    const [f] = await collect(client, (s) => s.length >= 1);
    client.close();
    expect(f!.meta.ptsUs).toBeNull();
  });

  it('frameNumber counts on across an ffmpeg restart, and meta.restarts counts the restart', async () => {
    const stream = await started({
      source: 'synthetic://testsrc2',
      fps: 10,
      slots: 64,
      backoff: { initialMs: 100, maxMs: 500 },
      ffmpegPath: await timedFfmpeg(),
    });
    const client = FrameRingClient.open(stream.info(), { policy: 'every' });
    const before = await collect(client, (s) => s.length >= 5);
    const pid = stream.stats().ffmpegPid!;
    const faults: string[] = [];
    stream.on('fault', (err) => faults.push(err.code));
    process.kill(pid, 'SIGKILL');
    const all = await collect(client, (s) => s.filter((x) => x.meta.restarts === 1).length >= 5, 60_000);
    client.close();
    expect(faults[0]).toBe('FFMPEG_EXITED');
    expect(stream.stats().restarts).toBe(1);
    expect(stream.stats().ffmpegPid).not.toBe(pid);
    const run1 = [...before, ...all.filter((s) => s.meta.restarts === 0)];
    const run2 = all.filter((s) => s.meta.restarts === 1);
    const last1 = run1[run1.length - 1]!.meta;
    const first2 = run2[0]!.meta;
    // Numbers never go back: the new run starts right after every frame the old one read (delivered or dropped).
    for (let i = 1; i < all.length; i++) expect(all[i]!.meta.frameNumber).toBeGreaterThan(all[i - 1]!.meta.frameNumber);
    // Exactly the next number, unless frames went by unseen (this reader lapped, or the pump found no free slot).
    const gap = first2.frameNumber - last1.frameNumber;
    expect(gap).toBeGreaterThanOrEqual(1);
    expect(gap - 1).toBeLessThanOrEqual(run2[0]!.droppedBefore + stream.ringStats()!.writerDrops);
    // The camera's timeline starts over with the new ffmpeg: that is what `restarts` tells a reader.
    expect(last1.ptsUs!).toBeGreaterThan(0);
    expect(first2.ptsUs!).toBeLessThan(last1.ptsUs!);
    if (run2[0]!.droppedBefore === 0) expect(first2.ptsUs).toBe(0);
  }, 90_000);
});

describe('the meta fields through a ring written from JavaScript', () => {
  it('ptsUs (also negative) and restarts round-trip; absent or null ptsUs reads as null', () => {
    const server = new FrameRingServer({ name: ringName(), width: 4, height: 2, pixelFormat: 'gray8', slots: 4 });
    const client = FrameRingClient.open(server.info(), { policy: 'every' });
    try {
      expect(() => server.write(new Uint8Array(4 * 2 * 3))).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('gray8 = 8 bytes') }),
      );
      server.write(new Uint8Array(8).fill(7), { ptsUs: -40_000, restarts: 2, frameNumber: 11 });
      server.write(new Uint8Array(8), { ptsUs: null });
      server.write(new Uint8Array(8), { ptsUs: 2 ** 40 });
      const metas = [client.pull(1000), client.pull(1000), client.pull(1000)].map((f) => {
        const m = { ...f!.meta, first: f!.pixels[0], size: f!.pixels.length };
        f!.release();
        return m;
      });
      expect(metas[0]).toMatchObject({
        ptsUs: -40_000,
        restarts: 2,
        frameNumber: 11,
        format: 'gray8',
        first: 7,
        size: 8,
      });
      expect(metas[1]).toMatchObject({ ptsUs: null, restarts: 0, format: 'gray8' });
      expect(metas[2]!.ptsUs).toBe(2 ** 40);
    } finally {
      client.close();
      server.close();
    }
  });
});

describe('the pump pairs frames with their times by index', () => {
  it(
    'a missing, NOPTS or early line affects only its own frame; ' +
      'lines may come in pieces; numbering starts where told',
    async () => {
      const server = new FrameRingServer({ name: ringName(), width: 2, height: 2, pixelFormat: 'gray8', slots: 16 });
      const client = FrameRingClient.open(server.info(), { policy: 'every' });
      const frames = createPipe();
      const times = createPipe();
      const pump = new RingPump(server, frames.readFd, { timesFd: times.readFd, firstFrameNumber: 100, restarts: 3 });
      const ended = new Promise<PumpEnd>((resolve) => pump.on('end', resolve));
      try {
        pump.start();
        const frame = (n: number) => writeSync(frames.writeFd, new Uint8Array(4).fill(n));
        const line = (text: string) => writeSync(times.writeFd, text);
        line('frame:0    pts:1000    pts_time:0.001\nframering=1\n');
        frame(0);
        frame(1); // no line for frame 1
        line('frame:2    pts:NOPTS   pts_time:NOPTS\n');
        frame(2);
        line('frame:3 pts:-5\nsomething else\nframe:4 pts:9000\n'); // frame 4's line early
        frame(3);
        frame(4);
        line('frame:5 pt');
        line('s:7000\n');
        frame(5);
        line('frame:7 pts:1\n'); // a line for a frame that comes later; frame 6 has none
        frame(6);
        frame(7);
        closeFd(frames.writeFd);
        closeFd(times.writeFd);
        expect((await ended).reason).toBe('eof');
        const seen: Array<[number, number | null, number, number]> = [];
        for (let f = client.pull(1000); f; f = client.pull(50)) {
          seen.push([f.meta.frameNumber, f.meta.ptsUs, f.meta.restarts, f.pixels[0]!]);
          f.release();
        }
        expect(seen).toEqual([
          [100, 1000, 3, 0],
          [101, null, 3, 1],
          [102, null, 3, 2],
          [103, -5, 3, 3],
          [104, 9000, 3, 4],
          [105, 7000, 3, 5],
          [106, null, 3, 6],
          [107, 1, 3, 7],
        ]);
      } finally {
        pump.stop();
        client.close();
        server.close();
      }
    },
  );
});

describe('readers that assume RGB24', () => {
  it('an RGB24Process refuses a bgr24 ring with a coded error instead of misreading it', async () => {
    const server = new FrameRingServer({ name: ringName(), width: 16, height: 16, pixelFormat: 'bgr24' });
    const p = new ChecksumProcess({ name: `camtime-rgb-${process.pid}` });
    try {
      await p.start();
      await expect(p.backend.activateRGB24Client(server.info())).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/carries bgr24 frames.*pixelFormat 'rgb24'/),
      });
    } finally {
      await p.stop();
      server.close();
    }
  });
});

describe('the analysis reads every pixel format', () => {
  const W2 = 8;
  const H2 = 4;
  const solid = (bytes: number[]) =>
    Uint8Array.from({ length: W2 * H2 * bytes.length }, (_, i) => bytes[i % bytes.length]!);

  it('GreySampler and MotionDetector: bgr24 red has the luma of rgb24 red; gray8 is its own luma', () => {
    const luma = (format: PixelFormat, pixels: Uint8Array) => new GreySampler(W2, H2, 2, format).sample(pixels).data[0];
    expect(luma('rgb24', solid([255, 0, 0]))).toBe(76); // (77·255) >> 8
    expect(luma('bgr24', solid([0, 0, 255]))).toBe(76);
    expect(luma('rgb24', solid([0, 0, 255]))).toBe(28); // the same bytes misread as RGB: blue
    expect(luma('gray8', solid([123]))).toBe(123);
    expect(() => new GreySampler(W2, H2, 2, 'gray8').sample(solid([1, 2, 3]).subarray(0, W2 * H2 - 1))).toThrow(
      /gray8/,
    );
    const motion = new MotionDetector(W2, H2, { step: 1, pixelFormat: 'gray8', minArea: 0.5 });
    expect(motion.detect(solid([10])).motion).toBe(false);
    expect(motion.detect(solid([200])).motion).toBe(true);
  });

  it('SnapshotWriter writes bgr24 and gray8 frames as the right JPEG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'framering-snap-'));
    try {
      const writer = new SnapshotWriter({ dir, minIntervalMs: 0 });
      const bgr = await writer.write('bgr', 1, solid([0, 0, 255]), W2, H2, Date.now(), 'bgr24');
      const gray = await writer.write('gray', 1, solid([200]), W2, H2, Date.now(), 'gray8');
      const sharp = (await import('sharp')).default;
      const red = await sharp(bgr!).removeAlpha().raw().toBuffer();
      expect(red[0]).toBeGreaterThan(200); // R
      expect(red[2]).toBeLessThan(60); // B
      expect(gray).not.toBeNull(); // read as 3 channels, W×H bytes would be too short for sharp
      const { data, info } = await sharp(gray!).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([W2, H2]);
      for (const v of data) expect(Math.abs(v - 200)).toBeLessThan(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LiveStream.whenState with an AbortSignal', () => {
  it('rejects with ABORTED (an AbortError) when the signal fires first, and the stream goes on', async () => {
    const stream = await started({ source: 'synthetic://', fps: 5 });
    const controller = new AbortController();
    const waiting = stream.whenState('reconnecting', { timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user left')), 100);
    await expect(waiting).rejects.toMatchObject({
      code: 'ABORTED',
      name: 'AbortError',
      message: expect.stringContaining('user left'),
    });
    await expect(stream.whenState('stopped', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect(stream.state).toBe('streaming');
    // already there
    await expect(stream.whenState('streaming', { signal: AbortSignal.abort() })).resolves.toBeUndefined();
    await expect(stream.whenState('reconnecting', 50)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });
});

describe('LiveStream disposal', () => {
  it('await using stops ffmpeg and removes the ring when the scope ends', async () => {
    let pid: number | null = null;
    let name = '';
    {
      await using stream = new LiveStream({ source: 'synthetic://', width: 32, height: 32, fps: 5, name: ringName() });
      name = stream.name;
      await stream.start();
      await stream.whenState('streaming', 30_000);
      pid = stream.stats().ffmpegPid;
      expect(existsSync(`/proc/${pid}`)).toBe(true);
    }
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(`/dev/shm/framering-${name}`)).toBe(false);
  });
});
