// Frame rings between real processes: whole frames, exact drop counts, held slots, zero-copy views, wakeups.
import { describe, expect, it } from 'vitest';
import { trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';
import { FrameRingClient, FrameRingServer, type Frame } from '../src/shm/index.js';
import { exited, forkScript, nextMessage } from './support/child_script.js';
import { checkFrame, fillFrame } from './fixtures/shm/frame_pattern.js';
import type { ChildProcess } from 'node:child_process';

const READER = new URL('./fixtures/shm/ring_reader_child.ts', import.meta.url);
let seq = 0;
const ringName = () => `t-frame-${process.pid}-${++seq}`;

const { cleanups, children } = trackCleanups();

function server(
  opts: { width?: number; height?: number; slots?: number; blocking?: boolean; blockingTimeoutMs?: number } = {},
) {
  const s = new FrameRingServer({ name: ringName(), width: opts.width ?? 64, height: opts.height ?? 48, ...opts });
  cleanups.push(() => s.close());
  return s;
}

function reader(name: string, policy: string, mode = 'handler', delayMs = 0) {
  const child = forkScript(READER, [name, policy, mode, String(delayMs)]);
  children.push(child);
  return child;
}

function collect(child: ChildProcess) {
  const frames: Array<{ frame: number; ok: boolean; seq: number; droppedBefore: number; slotId: number }> = [];
  child.on('message', (m: { frame?: number }) => {
    if (m.frame !== undefined) frames.push(m as (typeof frames)[number]);
  });
  return frames;
}

describe('frame ring across processes', () => {
  it('delivers whole frames with their checksums and metadata to readers in other processes', async () => {
    const s = server();
    const readers = [reader(s.name, 'every'), reader(s.name, 'every'), reader(s.name, 'latest')];
    const got = readers.map(collect);
    await Promise.all(readers.map((r) => nextMessage(r, (m) => m.ready === true)));
    const pixels = new Uint8Array(s.frameBytes);
    for (let n = 1; n <= 5; n++) {
      fillFrame(pixels, n);
      expect(s.write(pixels, { slotId: 7 })).toBe(n);
      // paced: nobody is lapped
      await until('got.every((g) => g.length >= n)', () => got.every((g) => g.length >= n), 10_000);
    }
    for (const g of got) {
      expect(g.map((f) => f.frame)).toEqual([1, 2, 3, 4, 5]);
      expect(g.every((f) => f.ok && f.slotId === 7 && f.droppedBefore === 0)).toBe(true);
    }
    expect(s.stats().readers).toHaveLength(3);
  });

  it(
    'never yields a torn frame to a slow reader while the ' + 'writer runs at full speed, and counts drops exactly',
    async () => {
      const s = server({ width: 320, height: 240, slots: 4 });
      const slow = reader(s.name, 'every', 'handler', 3);
      const frames = collect(slow);
      await nextMessage(slow, (m) => m.ready === true);
      const pixels = new Uint8Array(s.frameBytes);
      const total = 3000;
      let placed = 0;
      for (let n = 1; n <= total; n++) {
        fillFrame(pixels, n);
        if (s.write(pixels) !== null) placed++;
        if (n % 200 === 0) await new Promise((r) => setImmediate(r));
      }
      // The writer never waits for the slow reader: it only skipped a slot the reader held.
      expect(placed).toBeGreaterThan(total - 50);
      await until(
        'frames.length > 0 && frames[frames.length - 1].frame === total',
        () => frames.length > 0 && frames[frames.length - 1].frame === total,
        10_000,
      );
      expect(frames.every((f) => f.ok)).toBe(true);
      // In order, with gaps exactly where the reader was lapped.
      let expectedDrops = 0;
      for (let i = 1; i < frames.length; i++) {
        expect(frames[i].seq).toBeGreaterThan(frames[i - 1].seq);
        expect(frames[i].droppedBefore).toBe(frames[i].seq - frames[i - 1].seq - 1);
        expectedDrops += frames[i].droppedBefore;
      }
      slow.send({ stats: true });
      const { stats } = await nextMessage<{ stats: { dropped: number; delivered: number } }>(slow, (m) => 'stats' in m);
      expect(stats.delivered).toBe(frames.length);
      expect(stats.dropped).toBe(expectedDrops + frames[0].droppedBefore);
      expect(stats.dropped).toBeGreaterThan(0);
      expect(stats.delivered + stats.dropped).toBe(placed);
    },
  );

  it('latest jumps to the newest frame', () => {
    const s = server();
    const c = FrameRingClient.open(s.name, { policy: 'latest' });
    cleanups.push(() => c.close());
    const pixels = new Uint8Array(s.frameBytes);
    for (let n = 1; n <= 5; n++) {
      fillFrame(pixels, n);
      s.write(pixels);
    }
    const f = c.pull(1000)!;
    expect(checkFrame(f.pixels)).toBe(5);
    expect(f.droppedBefore).toBe(4);
    f.release();
    expect(c.pull(50)).toBeNull();
  });

  it('a writer lending its next slot right after a commit (as a pump does) leaves the newest frame to latest', () => {
    const s = server({ slots: 4 });
    const latest = FrameRingClient.open(s.name, { policy: 'latest' });
    cleanups.push(() => latest.close());
    let lent = s.lend()!;
    for (let n = 1; n <= 12; n++) {
      fillFrame(lent.view, n);
      lent.commit();
      lent = s.lend()!; // the next slot, taken before any reader looks: never the newest frame's
      const f = latest.pull(0);
      expect(f && checkFrame(f.pixels)).toBe(n);
      f?.release();
    }
    lent.abandon();
  });

  it('never overwrites a held slot; a retained frame stays intact until released', async () => {
    const s = server({ slots: 3 });
    const c = FrameRingClient.open(s.name, { policy: 'latest' });
    cleanups.push(() => c.close());
    const pixels = new Uint8Array(s.frameBytes);
    fillFrame(pixels, 1);
    s.write(pixels);
    let kept: Frame | null = null;
    c.onFrame((f) => {
      if (!kept) kept = f.retain();
    });
    await until('kept !== null', () => kept !== null, 10_000);
    for (let n = 2; n <= 40; n++) {
      fillFrame(pixels, n);
      s.write(pixels);
    }
    expect(checkFrame(kept!.pixels)).toBe(1);
    const copy = kept!.copy();
    kept!.release();
    expect(() => kept!.pixels).toThrow(/released/);
    expect(checkFrame(copy)).toBe(1);
    expect(s.stats().writerDrops).toBe(0);
  });

  it('every slot held: the writer drops (counted) instead of waiting or overwriting', () => {
    const s = server({ slots: 2 });
    const c = FrameRingClient.open(s.name, { policy: 'every' });
    cleanups.push(() => c.close());
    const pixels = new Uint8Array(s.frameBytes);
    fillFrame(pixels, 1);
    s.write(pixels);
    fillFrame(pixels, 2);
    s.write(pixels);
    const a = c.pull(100)!;
    const b = c.pull(100)!;
    fillFrame(pixels, 3);
    expect(s.write(pixels)).toBeNull();
    expect(s.stats().writerDrops).toBe(1);
    expect([checkFrame(a.pixels), checkFrame(b.pixels)]).toEqual([1, 2]);
    a.release();
    expect(s.write(pixels)).not.toBeNull();
    b.release();
  });

  it('blocking (lossless) mode waits for every-readers and times out when they do not move', async () => {
    const s = server({ slots: 3, blocking: true, blockingTimeoutMs: 500 });
    const child = reader(s.name, 'every', 'handler', 2);
    const frames = collect(child);
    await nextMessage(child, (m) => m.ready === true);
    const pixels = new Uint8Array(s.frameBytes);
    // The writer blocks this thread while waiting, so write from short bursts.
    for (let n = 1; n <= 60; n++) {
      fillFrame(pixels, n);
      expect(s.write(pixels)).toBe(n);
    }
    await until('frames.length === 60', () => frames.length === 60, 10_000);
    expect(frames.map((f) => f.frame)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(frames.every((f) => f.ok && f.droppedBefore === 0)).toBe(true);

    // A reader that stops reading: the writer gives up after blockingTimeoutMs, nothing overwritten.
    const stuck = FrameRingClient.open(s.name, { policy: 'every' });
    cleanups.push(() => stuck.close());
    for (let n = 61; n <= 63; n++) {
      fillFrame(pixels, n);
      expect(s.write(pixels)).not.toBeNull();
    }
    // write() holds the event loop at most 100 ms, whatever the ring's timeout.
    let t0 = Date.now();
    expect(s.write(pixels)).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(Date.now() - t0).toBeLessThan(400);
    // writeAsync() waits the whole timeout with the event loop free.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    t0 = Date.now();
    expect(await s.writeAsync(pixels)).toBeNull();
    clearInterval(ticker);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(ticks).toBeGreaterThan(10);
    expect(s.stats().writerDrops).toBe(2); // one per failed write, not one per retry
    const first = stuck.pull(100)!;
    expect(checkFrame(first.pixels)).toBe(61);
    first.release();
  });

  it('lend and commit fill a slot in place; abandon gives it back unseen', () => {
    const s = server();
    const c = FrameRingClient.open(s.info(), { policy: 'every' });
    cleanups.push(() => c.close());
    const lent = s.lend()!;
    fillFrame(lent.view, 9);
    lent.abandon();
    const lent2 = s.lend()!;
    fillFrame(lent2.view, 10);
    expect(lent2.commit({ slotId: 2, frameNumber: 77, timestampUs: 123 })).toBe(1);
    const f = c.pull(100)!;
    expect(checkFrame(f.pixels)).toBe(10);
    expect(f.meta).toMatchObject({ seq: 1, slotId: 2, frameNumber: 77, timestampUs: 123, width: 64, height: 48 });
    f.release();
    expect(c.pull(20)).toBeNull();
  });

  it('wakes an idle reader without busy-polling and keeps the event loop free', async () => {
    const s = server();
    const c = FrameRingClient.open(s.name);
    cleanups.push(() => c.close());
    const seen: number[] = [];
    c.onFrame((f) => {
      seen.push(checkFrame(f.pixels));
    });
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 500)); // timers still fire: nothing blocks the JS thread
    const idle = process.cpuUsage(before);
    expect(idle.user + idle.system).toBeLessThan(100_000); // < 0.1 s of CPU in 0.5 s idle: no spinning
    const pixels = new Uint8Array(s.frameBytes);
    fillFrame(pixels, 3);
    s.write(pixels);
    await until('seen.length === 1', () => seen.length === 1, 10_000);
    expect(seen).toEqual([3]);
  });

  it('maps a ring once per process: every server and client of it shares one ArrayBuffer', () => {
    const s = server();
    const a = FrameRingClient.open(s.name, { policy: 'every' });
    const b = FrameRingClient.open(s.name, { policy: 'every' });
    cleanups.push(() => {
      a.close();
      b.close();
    });
    const pixels = new Uint8Array(s.frameBytes);
    fillFrame(pixels, 1);
    s.write(pixels);
    const fa = a.pull(100)!;
    const fb = b.pull(100)!;
    const lent = s.lend()!;
    expect(fa.pixels.buffer).toBe(fb.pixels.buffer);
    expect(fa.pixels.buffer).toBe(lent.view.buffer);
    lent.abandon();
    fa.release();
    fb.release();
  });

  it('a view that outlives close() reads as empty instead of crashing', () => {
    const s = server();
    const c = FrameRingClient.open(s.name, { policy: 'every' });
    const pixels = new Uint8Array(s.frameBytes);
    fillFrame(pixels, 1);
    s.write(pixels);
    const f = c.pull(100)!;
    const view = f.pixels;
    const writerView = s.lend()!.view;
    expect(view.byteLength).toBe(s.frameBytes);
    c.close();
    f.release(); // after close: harmless
    expect(checkFrame(view)).toBe(1); // the server still maps the ring in this process
    s.close(); // the last user: the shared buffer is detached before the mapping goes
    expect(view.byteLength).toBe(0);
    expect(view[10]).toBeUndefined();
    expect(writerView.byteLength).toBe(0);
  });

  it(
    'closing a reader invalidates the frames it still had ' + 'out, instead of leaving views the writer may overwrite',
    () => {
      const s = server();
      const c = FrameRingClient.open(s.name, { policy: 'every' });
      const pixels = new Uint8Array(s.frameBytes);
      fillFrame(pixels, 1);
      s.write(pixels);
      const f = c.pull(100)!.retain();
      c.close();
      expect(() => f.pixels).toThrow(/reader closed/);
    },
  );

  it('forgotten lends cannot take the whole ring: the last free slot is refused with advice', () => {
    const s = server({ slots: 3 });
    s.lend();
    s.lend();
    expect(() => s.lend()).toThrow(/commit\(\) or abandon\(\) them/);
    const pixels = new Uint8Array(s.frameBytes);
    expect(s.write(pixels)).not.toBeNull();
  });

  it('pull() with an infinite timeout waits for the frame instead of returning at once', async () => {
    const name = ringName();
    const writer = forkScript(new URL('./fixtures/shm/ring_writer_child.ts', import.meta.url), [name, '8', '8', '1']);
    children.push(writer);
    await nextMessage(writer, (m) => m.ready === true);
    const c = FrameRingClient.open(name, { policy: 'every' });
    cleanups.push(() => c.close());
    writer.send({ write: true }); // the frame comes from another process while this thread blocks
    const f = c.pull(Infinity);
    expect(f).not.toBeNull();
    expect(checkFrame(f!.pixels)).toBe(1);
    f!.release();
    writer.send({ close: true });
    await exited(writer);
  });

  it('serves at least 16 readers at once', async () => {
    const s = server({ width: 16, height: 16 });
    const clients = Array.from({ length: 20 }, () => FrameRingClient.open(s.name, { policy: 'every' }));
    cleanups.push(() => {
      for (const c of clients) c.close();
    });
    const pixels = new Uint8Array(s.frameBytes);
    fillFrame(pixels, 5);
    s.write(pixels);
    for (const c of clients) {
      const f = c.pull(100)!;
      expect(checkFrame(f.pixels)).toBe(5);
      f.release();
    }
    expect(s.stats().readers).toHaveLength(20);
  });
});
