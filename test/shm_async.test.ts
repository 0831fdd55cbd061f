// Async reads (frames(), messages(), pullAsync()), AbortSignal on every wait, and disposal (`using`), against a
// writer in another process.
import { writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DataRingClient,
  DataRingServer,
  FrameRingClient,
  FrameRingServer,
  listSegments,
  RingServer,
  RingWriter,
  type DataRingPars,
  type Frame,
  type FrameRingPars,
  type RingServerStats,
} from '../src/shm/index.js';
import { RingPump, createPipe, closeFd, removeSegment, SEGMENT_PREFIX } from '../src/shm/internal.js';
import { checkFrame } from './fixtures/shm/frame_pattern.js';
import { forkScript, nextMessage } from './support/child_script.js';
import { trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';
import type { ChildProcess } from 'node:child_process';

const WRITER = new URL('./fixtures/shm/async_writer_child.ts', import.meta.url);
let seq = 0;
const ringName = () => `t-async-${process.pid}-${++seq}`;
const { cleanups, children } = trackCleanups();

async function writer(kind: 'frame' | 'data' = 'frame'): Promise<{ child: ChildProcess; name: string }> {
  const name = ringName();
  const child = forkScript(WRITER, [name, kind]);
  children.push(child);
  cleanups.push(() => removeSegment(SEGMENT_PREFIX + name)); // after the child is killed: what it left
  await nextMessage(child, (m) => m.ready === true);
  return { child, name };
}

async function write(child: ChildProcess, n: number): Promise<void> {
  const reply = nextMessage(child, (m) => m.written !== undefined);
  child.send({ write: n });
  await reply;
}

async function writerStats(child: ChildProcess): Promise<RingServerStats> {
  const reply = nextMessage<{ stats?: RingServerStats }>(child, (m) => m.stats !== undefined);
  child.send({ stats: true });
  return (await reply).stats!;
}

function track<T extends { close(): void }>(c: T): T {
  cleanups.push(() => c.close());
  return c;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe.each(['doorbell', 'thread'] as const)('frames() loop (wakeup %s)', (wakeup) => {
  it('yields whole frames in order and releases each one as the loop moves on', async () => {
    const { child, name } = await writer();
    const client = track(FrameRingClient.open(name, { policy: 'every', wakeup }));
    const seen: number[] = [];
    const heldInBody: number[] = [];
    const loop = (async () => {
      for await (const frame of client.frames()) {
        seen.push(checkFrame(frame.pixels));
        heldInBody.push(client.stats().held);
        if (seen.length === 6) break;
      }
    })();
    await write(child, 3);
    await until('seen.length === 3', () => seen.length === 3, 10_000);
    await write(child, 3); // the loop waits (no polling) and wakes for these
    await loop;
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(heldInBody.every((h) => h === 1)).toBe(true); // the previous frame went back before the next came
    expect(client.stats().held).toBe(0); // break released the last one
    expect((await writerStats(child)).readers[0]!.held).toBe(0);
  });

  it('continues where a broken loop stopped, and keeps a retained frame past the loop', async () => {
    const { child, name } = await writer();
    const client = track(FrameRingClient.open(name, { policy: 'every', wakeup }));
    await write(child, 6);
    let kept: Frame | null = null;
    for await (const frame of client.frames()) {
      if (frame.meta.frameNumber === 2) kept = frame.retain();
      if (frame.meta.frameNumber === 3) break;
    }
    expect(client.stats().held).toBe(1); // the retained frame only
    const rest: number[] = [];
    for await (const frame of client.frames()) {
      rest.push(checkFrame(frame.pixels));
      if (rest.length === 3) break;
    }
    expect(rest).toEqual([4, 5, 6]);
    expect(checkFrame(kept!.pixels)).toBe(2);
    kept!.release();
    expect(client.stats().held).toBe(0);
  });

  it('a loop whose body throws releases the frame it held', async () => {
    const { child, name } = await writer();
    const client = track(FrameRingClient.open(name, { policy: 'every', wakeup }));
    await write(child, 2);
    await expect(
      (async () => {
        for await (const frame of client.frames()) throw new Error(`body fails on frame ${frame.meta.frameNumber}`);
      })(),
    ).rejects.toThrow('body fails on frame 1');
    expect(client.stats().held).toBe(0);
  });

  it(
    'abort mid-wait ends the loop promptly with ABORTED, ' + 'holding nothing; disposal then frees the reader entry',
    async () => {
      const { child, name } = await writer();
      const controller = new AbortController();
      let code: string | undefined;
      let abortedAfterMs = 0;
      {
        using client = FrameRingClient.open(name, { policy: 'every', wakeup });
        const loop = (async () => {
          for await (const frame of client.frames({ signal: controller.signal })) frame.release();
        })();
        await new Promise((r) => setTimeout(r, 300)); // the loop is asleep on the wakeup now
        const t0 = performance.now();
        controller.abort();
        code = await codeOf(loop);
        abortedAfterMs = performance.now() - t0;
        expect(client.stats().held).toBe(0);
        expect((await writerStats(child)).readers).toHaveLength(1);
        expect((await writerStats(child)).readers[0]!.held).toBe(0);
      }
      expect(code).toBe('ABORTED');
      expect(abortedAfterMs).toBeLessThan(2000); // promptly: not after a liveness period or a frame
      expect((await writerStats(child)).readers).toHaveLength(0); // `using` closed the client: its entry is free
    },
  );

  it('ends quietly when the writer closes the ring, after the frames it had written', async () => {
    const { child, name } = await writer();
    const client = track(FrameRingClient.open(name, { policy: 'every', wakeup }));
    const seen: number[] = [];
    const loop = (async () => {
      for await (const frame of client.frames()) {
        seen.push(frame.meta.frameNumber);
        await new Promise((r) => setTimeout(r, 100)); // slower than the writer: frames wait in the ring at its close
      }
    })();
    await write(child, 4);
    const closed = nextMessage(child, (m) => m.closed === true);
    child.send({ close: true });
    await closed;
    await loop; // resolves: no error
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('throws WRITER_GONE when the writer dies', async () => {
    const { child, name } = await writer();
    const client = track(FrameRingClient.open(name, { policy: 'every', wakeup }));
    const loop = (async () => {
      for await (const frame of client.frames()) frame.release();
    })();
    await new Promise((r) => setTimeout(r, 200));
    child.send({ die: true });
    expect(await codeOf(loop)).toBe('WRITER_GONE');
    expect(client.stats().held).toBe(0);
  });
});

describe('one way of reading per client', () => {
  it('frames() on a client read by onFrame, and onFrame on a looped client, are coded errors', async () => {
    const { name } = await writer();
    const handled = track(FrameRingClient.open(name));
    handled.onFrame(() => {});
    expect(() => handled.frames()).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/handler/) }),
    );
    await expect(handled.pullAsync({ timeoutMs: 10 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });

    const looped = track(FrameRingClient.open(name));
    expect(await looped.pullAsync({ timeoutMs: 10 })).toBeNull(); // starts async reading
    expect(() => looped.onFrame(() => {})).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/frames\(\)/) }),
    );
    expect(() => looped.pull(10)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('two loops at once on one client: the second step is a coded error', async () => {
    const { name } = await writer();
    const client = track(FrameRingClient.open(name));
    const controller = new AbortController();
    const first = client.pullAsync({ signal: controller.signal });
    await expect(client.pullAsync()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    controller.abort();
    expect(await codeOf(first)).toBe('ABORTED');
  });
});

describe('pullAsync()', () => {
  it('waits without blocking the event loop, returns the frame, null on timeout, ABORTED on abort', async () => {
    const { child, name } = await writer();
    const client = track(FrameRingClient.open(name, { policy: 'every' }));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    cleanups.push(() => clearInterval(ticker));
    expect(await client.pullAsync({ timeoutMs: 300 })).toBeNull();
    expect(ticks).toBeGreaterThan(3); // timers ran during the wait

    const pending = client.pullAsync();
    await write(child, 1);
    const frame = (await pending)!;
    expect(checkFrame(frame.pixels)).toBe(1);
    expect(client.stats().held).toBe(1); // the caller releases it
    frame.release();

    const controller = new AbortController();
    const waiting = client.pullAsync({ signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const t0 = performance.now();
    expect(await codeOf(waiting)).toBe('ABORTED');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await codeOf(client.pullAsync({ signal: AbortSignal.abort() }))).toBe('ABORTED');
    await expect(client.pullAsync({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(client.stats().held).toBe(0);
  });

  it('rejects CLOSED when its client closes meanwhile, and WRITER_GONE once the writer closed the ring', async () => {
    const { child, name } = await writer();
    const client = FrameRingClient.open(name);
    const waiting = client.pullAsync();
    setTimeout(() => client.close(), 100);
    expect(await codeOf(waiting)).toBe('CLOSED');

    const other = track(FrameRingClient.open(name));
    const closed = nextMessage(child, (m) => m.closed === true);
    child.send({ close: true });
    await closed;
    expect(await codeOf(other.pullAsync({ timeoutMs: 5000 }))).toBe('WRITER_GONE');
  });
});

describe('a slot taken while no loop waited', () => {
  it('latest: is replaced by a newer frame when the next read asks; every: comes next, in order', async () => {
    const { child, name } = await writer();
    const latest = track(FrameRingClient.open(name, { policy: 'latest' }));
    const every = track(FrameRingClient.open(name, { policy: 'every' }));
    for (const c of [latest, every])
      expect(await codeOf(c.pullAsync({ signal: AbortSignal.timeout(100) }))).toBe('ABORTED');
    await write(child, 1); // both are still woken for it after their consumers gave up: each keeps it
    await until(
      'latest.stats().held === 1 && every.stats().held === 1',
      () => latest.stats().held === 1 && every.stats().held === 1,
      10_000,
    );
    await write(child, 2);
    const newest = (await latest.pullAsync({ timeoutMs: 5000 }))!;
    expect(checkFrame(newest.pixels)).toBe(3);
    expect(latest.stats().held).toBe(1); // frame 1 went back when frame 3 replaced it
    newest.release();
    const next = (await every.pullAsync({ timeoutMs: 5000 }))!;
    expect(checkFrame(next.pixels)).toBe(1);
    next.release();
  });
});

describe('old names', () => {
  it('pars() and the *Pars types remain as deprecated aliases of info() and *Info', () => {
    const frames = track(new FrameRingServer({ name: ringName(), width: 8, height: 8 }));
    const data = track(new DataRingServer({ name: ringName() }));
    const framePars: FrameRingPars = frames.pars();
    const dataPars: DataRingPars = data.pars();
    expect(framePars).toEqual(frames.info());
    expect(framePars).toEqual({ name: frames.name, width: 8, height: 8, slots: 8, pixelFormat: 'rgb24' });
    expect(dataPars).toEqual({ name: data.name, slots: 16, maxMessageBytes: 1 << 20 });
    expect(RingWriter).toBe(RingServer);
    expect(frames).toBeInstanceOf(RingWriter);
  });
});

describe('messages() loop', () => {
  it('yields decoded values in order, ends when the writer closes, and aborts promptly', async () => {
    const { child, name } = await writer('data');
    const client = track(DataRingClient.open(name));
    const got: unknown[] = [];
    const loop = (async () => {
      for await (const { value, meta } of client.messages()) got.push([value, meta.frameNumber]);
    })();
    await write(child, 3);
    await until('got.length === 3', () => got.length === 3, 10_000);
    expect(client.stats().held).toBe(0); // a message's slot goes back as soon as it is decoded
    const closed = nextMessage(child, (m) => m.closed === true);
    child.send({ close: true });
    await closed;
    await loop;
    expect(got).toEqual([
      [{ n: 1 }, 1],
      [{ n: 2 }, 2],
      [{ n: 3 }, 3],
    ]);

    const second = await writer('data');
    const reader = track(DataRingClient.open(second.name));
    const controller = new AbortController();
    const aborted = (async () => {
      for await (const _ of reader.messages({ signal: controller.signal }));
    })();
    setTimeout(() => controller.abort(), 200);
    expect(await codeOf(aborted)).toBe('ABORTED');
    await write(second.child, 2); // taken while nobody loops: kept for the next loop, in order
    expect((await reader.pullAsync({ timeoutMs: 5000 }))?.value).toEqual({ n: 1 });
    expect((await reader.pullAsync({ timeoutMs: 5000 }))?.value).toEqual({ n: 2 });
  });
});

describe('waitFor with a signal', () => {
  it('ends with ABORTED promptly, and with TIMEOUT after timeoutMs', async () => {
    const controller = new AbortController();
    const name = ringName();
    const waiting = FrameRingClient.waitFor(name, { signal: controller.signal, timeoutMs: 60_000 });
    setTimeout(() => controller.abort(), 100);
    const t0 = performance.now();
    expect(await codeOf(waiting)).toBe('ABORTED');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await codeOf(DataRingClient.waitFor(name, { signal: AbortSignal.abort() }))).toBe('ABORTED');
    expect(await codeOf(FrameRingClient.waitFor(name, { timeoutMs: 100 }))).toBe('TIMEOUT');
  });
});

describe('disposal', () => {
  it('`using` closes servers, clients and pumps at the end of the block', () => {
    const name = ringName();
    let frameServer: FrameRingServer;
    let dataServer: DataRingServer;
    let client: FrameRingClient;
    const pipe = createPipe();
    cleanups.push(() => closeFd(pipe.writeFd));
    {
      using server = new FrameRingServer({ name, width: 8, height: 8 });
      using data = new DataRingServer({ name: `${name}-data` });
      using reader = FrameRingClient.open(name);
      using pump = new RingPump(server, pipe.readFd);
      pump.start();
      frameServer = server;
      dataServer = data;
      client = reader;
      expect(server.stats().readers).toHaveLength(1);
    }
    expect(client.isClosed).toBe(true);
    expect(frameServer.isClosed).toBe(true);
    expect(dataServer.isClosed).toBe(true);
    expect(listSegments().filter((s) => s.name === name || s.name === `${name}-data`)).toEqual([]);
    // The pump stopped and closed its end of the pipe: writing to the other end now fails.
    expect(() => writeSync(pipe.writeFd, new Uint8Array(8 * 8 * 3))).toThrow(
      expect.objectContaining({ code: 'EPIPE' }),
    );
  });
});

describe('writing with a signal', () => {
  it('writeAsync() and sendAsync() with a fired signal reject with RingError ABORTED, and write nothing', async () => {
    const frames = new FrameRingServer({ name: ringName(), width: 8, height: 8, slots: 4 });
    const data = new DataRingServer({ name: ringName(), slots: 4, maxMessageBytes: 1024 });
    cleanups.push(
      () => frames.close(),
      () => data.close(),
    );
    const signal = AbortSignal.abort(new Error('caller gave up'));
    const pixels = new Uint8Array(frames.frameBytes);
    await expect(frames.writeAsync(pixels, undefined, { signal })).rejects.toMatchObject({
      name: 'RingError',
      code: 'ABORTED',
    });
    await expect(data.sendAsync({ n: 1 }, undefined, { signal })).rejects.toMatchObject({
      name: 'RingError',
      code: 'ABORTED',
    });
    expect(frames.stats().written).toBe(0);
  });
});
