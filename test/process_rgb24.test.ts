// RGB24Process with real rings: a FrameRingServer in the test writes frames of known content, a forked backend
// hashes what it receives and reports back.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stopAll, type MessageProcess } from '../src/process/index.js';
import { FrameRingServer } from '../src/shm/index.js';
import { ChecksumProcess, type FrameReport } from './fixtures/process/checksum_process.js';
import { fnv1a, patternFrame } from './fixtures/process/frame_hash.js';
import { shmFiles, waitEvent, waitUntil } from './fixtures/process/test_helpers.js';

const tag = `prgb${process.pid}`;
const W = 64;
const H = 48;
const processes: MessageProcess[] = [];
const servers: FrameRingServer[] = [];

function ring(name: string, opts: { slots?: number } = {}): FrameRingServer {
  const s = new FrameRingServer({ name: `${tag}-${name}`, width: W, height: H, slots: opts.slots ?? 8 });
  servers.push(s);
  return s;
}

async function started(name: string, opts: object = {}): Promise<ChecksumProcess> {
  const p = new ChecksumProcess({ name: `${tag}-${name}`, ...opts });
  processes.push(p);
  await p.start();
  return p;
}

/** Writes frame n and waits until the process reports it: lockstep, so nothing is dropped. */
async function writeAndSee(
  p: ChecksumProcess,
  server: FrameRingServer,
  source: string,
  n: number,
  seed = n,
): Promise<FrameReport> {
  const seen = waitEvent<FrameReport>(p, 'frame', (r) => r.source === source && r.frameNumber === n);
  expect(server.write(patternFrame(W, H, seed), { frameNumber: n, slotId: 7 })).not.toBeNull();
  return seen;
}

afterEach(async () => {
  // Readers before writers: stop the processes, then close the rings.
  await stopAll(processes.splice(0));
  for (const s of servers.splice(0)) s.close();
});

afterAll(() => {
  expect(shmFiles(tag)).toEqual([]);
});

describe('RGB24Process', () => {
  it('frames flow ring → backend handleFrame, byte-exact, with their metadata and counters', async () => {
    const cam = ring('cam');
    const p = await started('single');
    await expect(p.backend.activateRGB24Client(cam.info(), { policy: 'every' })).resolves.toBe(cam.name);
    for (let n = 1; n <= 20; n++) {
      const report = await writeAndSee(p, cam, cam.name, n);
      expect(report).toEqual({
        source: cam.name,
        frameNumber: n,
        slotId: 7,
        width: W,
        height: H,
        bytes: W * H * 3,
        hash: fnv1a(patternFrame(W, H, n)),
      });
    }
    const stats = await p.backend.getStats();
    expect(stats.rings[cam.name]).toMatchObject({ handled: 20, dropped: 0, errors: 0, policy: 'every' });
  });

  it('reads several rings at once, each frame tagged with its own source; deactivation stops one', async () => {
    const cams = ['a', 'b', 'c'].map((n) => ring(`multi-${n}`));
    const p = await started('multi');
    const sources = ['cam-a', 'cam-b', 'cam-c'];
    for (let i = 0; i < 3; i++)
      await p.backend.activateRGB24Client(cams[i]!.info(), { source: sources[i], policy: 'every' });
    await expect(p.backend.activeRGB24Clients()).resolves.toEqual(sources);

    for (let n = 1; n <= 5; n++) {
      // all three rings written before waiting: their frames are handled side by side
      const seen = sources.map((source) =>
        waitEvent<FrameReport>(p, 'frame', (r) => r.source === source && r.frameNumber === n),
      );
      cams.forEach((cam, i) => {
        cam.write(patternFrame(W, H, 100 * i + n), { frameNumber: n });
      });
      const reports = await Promise.all(seen);
      reports.forEach((r, i) => {
        expect(r.hash).toBe(fnv1a(patternFrame(W, H, 100 * i + n)));
      });
    }
    const stats = await p.backend.getStats();
    for (const source of sources)
      expect(stats.rings[source]).toMatchObject({ handled: 5, dropped: 0, ring: expect.stringContaining('multi-') });

    await p.backend.deactivateRGB24Client('cam-b');
    await expect(p.backend.activeRGB24Clients()).resolves.toEqual(['cam-a', 'cam-c']);
    cams[1]!.write(patternFrame(W, H, 999), { frameNumber: 99 });
    await writeAndSee(p, cams[0]!, 'cam-a', 6);
    await writeAndSee(p, cams[2]!, 'cam-c', 6);
    const reportsB = await p.backend.reportsOf('cam-b');
    expect(reportsB.map((r) => r.frameNumber)).toEqual([1, 2, 3, 4, 5]);
  });

  it('activation errors are clear: unknown ring, same source twice, unknown source, wrong side', async () => {
    const cam = ring('errs');
    const p = await started('errs');
    await expect(
      p.backend.activateRGB24Client({ name: `${tag}-nosuchring`, width: W, height: H, slots: 8 }),
    ).rejects.toMatchObject({
      code: 'RING_NOT_FOUND',
    });
    await expect(p.backend.activateRGB24Client(`${tag}-nosuchring`, { waitMs: 200 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    await p.backend.activateRGB24Client(cam.info());
    await expect(p.backend.activateRGB24Client(cam.info())).rejects.toMatchObject({
      code: 'ALREADY_REGISTERED',
      message: expect.stringContaining('deactivateRGB24Client'),
    });
    await expect(p.backend.deactivateRGB24Client('nope')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining(cam.name),
    });
    await expect(p.activateRGB24Client(cam.info())).rejects.toMatchObject({
      code: 'WRONG_SIDE',
      message: expect.stringContaining('p.backend.activateRGB24Client'),
    });
    await expect(p.backend.activateRGB24Client({ width: 1 } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('a ring that waits to appear is attached once its server is created', async () => {
    const p = await started('waits');
    const attaching = p.backend.activateRGB24Client(`${tag}-late`, { waitMs: 15_000, policy: 'every' });
    await new Promise((r) => setTimeout(r, 300));
    const late = ring('late');
    await expect(attaching).resolves.toBe(late.name);
    await writeAndSee(p, late, late.name, 1);
  });

  it('when the writer closes its ring the process is told (event and hook) and forgets the ring', async () => {
    const cam = ring('gone');
    const p = await started('gone');
    await p.backend.activateRGB24Client(cam.info(), { source: 'doomed' });
    await writeAndSee(p, cam, 'doomed', 1);
    const event = waitEvent<{ source: string }>(p, 'ring-gone', (e) => e.source === 'doomed');
    const hook = waitEvent<{ source: string }>(p, 'my-ring-gone', (e) => e.source === 'doomed');
    cam.close();
    await expect(event).resolves.toMatchObject({ source: 'doomed', ring: cam.name, reason: expect.any(String) });
    await hook;
    await expect(p.backend.activeRGB24Clients()).resolves.toEqual([]);
  });

  it('handler errors are counted and reported, and frames keep flowing', async () => {
    const cam = ring('failing');
    const p = await started('failing', { failEvery: 2 });
    const errorEvent = waitEvent(p, 'frame-error');
    await p.backend.activateRGB24Client(cam.info(), { source: 'f', policy: 'every' });
    for (let n = 1; n <= 6; n++) await writeAndSee(p, cam, 'f', n);
    await expect(errorEvent).resolves.toMatchObject({ source: 'f', message: 'frame 2 refused' });
    await waitUntil('handled count', async () => (await p.backend.getStats()).rings.f?.handled === 3);
    expect((await p.backend.getStats()).rings.f).toMatchObject({ handled: 3, errors: 3, lastError: 'frame 6 refused' });
  });

  it("a slow 'latest' reader skips to the newest frame and counts what it dropped", async () => {
    const cam = ring('slow', { slots: 4 });
    const p = await started('slow', { workMs: 200 });
    await p.backend.activateRGB24Client(cam.info(), { source: 's', policy: 'latest' });
    const last = waitEvent<FrameReport>(p, 'frame', (r) => r.frameNumber === 30);
    for (let n = 1; n <= 30; n++) {
      cam.write(patternFrame(W, H, n), { frameNumber: n });
      await new Promise((r) => setTimeout(r, 10));
    }
    const report = await last;
    expect(report.hash).toBe(fnv1a(patternFrame(W, H, 30)));
    const stats = (await p.backend.getStats()).rings.s!;
    expect(stats.handled).toBeLessThan(30);
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.handled + stats.dropped).toBe(30);
  });

  it('calls are answered while a frame handler is in flight (control and frames side by side)', async () => {
    const cam = ring('busy');
    const p = await started('busy', { workMs: 3000 });
    await p.backend.activateRGB24Client(cam.info(), { source: 'busy' });
    const inFlight = waitEvent<{ frameNumber: number }>(p, 'frame-start', (e) => e.frameNumber === 1);
    const done = waitEvent<FrameReport>(p, 'frame', (r) => r.frameNumber === 1);
    let finished = false;
    void done.then(() => (finished = true));
    cam.write(patternFrame(W, H, 1), { frameNumber: 1 });
    await inFlight;
    const stats = await p.backend.getStats();
    expect(stats.rings.busy!.handled).toBe(0);
    expect(finished).toBe(false);
    await done;
  });

  it('stop() closes the readers: the ring has no reader left', async () => {
    const cam = ring('readers');
    const p = await started('readers');
    await p.backend.activateRGB24Client(cam.info());
    expect(cam.stats().readers).toHaveLength(1);
    await p.stop();
    expect(cam.stats().readers).toHaveLength(0);
  });
});
