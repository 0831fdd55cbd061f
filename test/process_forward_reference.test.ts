// ClientProcess forwarding by reference: the master takes the camera frame where it lies (no copy into a forward
// ring), with real processes and rings; the frames it hashes are the camera's; holds are bounded; a gone client is
// noticed; the client's errors are clear.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type ClientProcess, type MasterProcess, stopInOrder } from '../src/process/index.js';
import { FrameRingServer } from '../src/shm/index.js';
import { fnv1a, patternFrame } from './fixtures/process/frame_hash.js';
import { ForwardingClient } from './fixtures/process/forwarding_client.js';
import { HashingMaster, type MasterReply } from './fixtures/process/hashing_master.js';
import { shmFiles, waitEvent, waitUntil } from './fixtures/process/test_helpers.js';

const tag = `pfr${process.pid}`;
const W = 32;
const H = 24;
const clients: ClientProcess[] = [];
const masters: MasterProcess[] = [];
const cameras: FrameRingServer[] = [];

interface ReplyEvent {
  value: MasterReply;
  seq: number;
  me: string;
}

function camera(name: string, slots = 8): FrameRingServer {
  const s = new FrameRingServer({ name: `${tag}-${name}`, width: W, height: H, slots });
  cameras.push(s);
  return s;
}

async function refClient(
  name: string,
  cam: FrameRingServer,
  opts: { hold?: number; holdMs?: number } = {},
): Promise<ForwardingClient> {
  const c = new ForwardingClient({ name: `${tag}-${name}`, forward: { byReference: true, ...opts } });
  clients.push(c);
  await c.start();
  await c.backend.activateRGB24Client(cam.info(), { source: cam.name, policy: 'every' });
  return c;
}

async function master(name: string): Promise<HashingMaster> {
  const m = new HashingMaster({ name: `${tag}-${name}`, policy: 'every' });
  masters.push(m);
  await m.start();
  return m;
}

afterEach(async () => {
  await stopInOrder(clients.splice(0), masters.splice(0));
  for (const c of cameras.splice(0)) c.close();
});

afterAll(() => {
  expect(shmFiles(tag)).toEqual([]);
});

describe('ClientProcess forwarding by reference', () => {
  it("the master hashes the camera's own frames, each client gets its replies, no forward ring", async () => {
    const cams = [camera('cam-a'), camera('cam-b')];
    // Holds kept a minute here, so that a slow machine cannot let them go before the counts are read.
    const cs = await Promise.all(cams.map((cam, i) => refClient(`client-${i}`, cam, { holdMs: 60_000 })));
    const m = await master('master');
    for (const c of cs) await m.registerClientProcess(c);
    const replies = new Map<string, ReplyEvent[]>(cs.map((c) => [c.name, []]));
    for (const c of cs) c.on('reply', (r: ReplyEvent) => replies.get(c.name)!.push(r));

    for (let n = 1; n <= 12; n++) {
      const waits = cs.map((c) => waitEvent<ReplyEvent>(c, 'reply', (r) => r.value.frameNumber === n));
      for (const [i, cam] of cams.entries()) cam.write(patternFrame(W, H, 10 * i + n), { frameNumber: n });
      await Promise.all(waits);
    }
    cs.forEach((c, i) => {
      const got = replies.get(c.name)!;
      expect(got.map((r) => r.value.frameNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      for (const r of got) expect(r.value.hash).toBe(fnv1a(patternFrame(W, H, 10 * i + r.value.frameNumber)));
    });
    await expect(m.backend.handledCount()).resolves.toBe(24);

    const stats = await cs[0]!.backend.getStats();
    expect(stats.forward).toMatchObject({ mode: 'reference', written: 12 });
    // hold 2 (the default): the last two frames forwarded are still held in the camera ring for the master.
    expect(stats.forward.holding).toBe(2);
    expect(
      cams[0]!
        .stats()
        .readers.map((r) => r.held)
        .sort(),
    ).toEqual([0, 2]);
    await expect(cs[0]!.backend.forwardInfo()).resolves.toMatchObject({ mode: 'reference' });
    await expect(cs[0]!.backend.frameRingInfo()).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('forwards by reference'),
    });
    // Only the client's reference ring and data ring, no 1-frame-per-slot forward ring.
    expect(shmFiles(`${cs[0]!.name}-`).some((f) => f.endsWith('-fwd'))).toBe(false);
    const masterStats = await m.backend.getStats();
    expect(masterStats.rings[cs[0]!.name]).toMatchObject({ handled: 12, dropped: 0, errors: 0 });
  });

  it('a master later than the held frames finds them overwritten, counts them dropped, no wrong frame', async () => {
    const cam = camera('late', 4);
    const c = await refClient('late-client', cam, { hold: 1 });
    const m = await master('late-master');
    await m.registerClientProcess(c);
    // The master stalls in its first frame for a while (HashingMaster's stall), so later references queue up while
    // the camera laps its 4 slots; whatever it hashes must still be the frame its number says.
    await m.backend.stallNext(800);
    const hashes: ReplyEvent[] = [];
    c.on('reply', (r: ReplyEvent) => hashes.push(r));
    for (let n = 1; n <= 20; n++) {
      cam.write(patternFrame(W, H, n), { frameNumber: n });
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitUntil('the last frame answered', () => hashes.some((r) => r.value.frameNumber === 20), 10_000);
    for (const r of hashes) expect(r.value.hash).toBe(fnv1a(patternFrame(W, H, r.value.frameNumber)));
    // A stale reference yields nothing, never the newer frame now in its slot: each frame once, in order.
    const numbers = hashes.map((r) => r.value.frameNumber);
    expect(numbers).toEqual([...new Set(numbers)].sort((a, b) => a - b));
    const stats = (await m.backend.getStats()).rings[c.name]!;
    expect(stats.handled).toBe(hashes.length);
    expect(stats.handled).toBeLessThan(20);
    // Every frame the client forwarded was either handled or counted dropped by the master.
    expect(stats.handled + stats.dropped).toBe(await c.backend.forwardedCount());
  });

  it("the master notices a killed client: 'client-gone', and the client's rings removed", async () => {
    const cam = camera('killed');
    const c = await refClient('killed-client', cam);
    const m = await master('killed-master');
    await m.registerClientProcess(c);
    const reply = waitEvent<ReplyEvent>(c, 'reply', (r) => r.value.frameNumber === 1);
    cam.write(patternFrame(W, H, 1), { frameNumber: 1 });
    await reply;
    const gone = waitEvent<{ client: string }>(m, 'client-gone');
    process.kill(c.pid!, 'SIGKILL');
    await expect(gone).resolves.toMatchObject({ client: c.name });
    await waitUntil('client rings removed', () => shmFiles(c.name).length === 0);
    // Its holds in the camera ring went with it (the camera's reclaim): every slot is the writer's again.
    await waitUntil('holds reclaimed', () => cam.stats().readers.every((r) => r.held === 0), 5000);
    expect(m.registeredClients()).toEqual([]);
  });

  it('bad forward options and the wrong argument are clear errors', async () => {
    const bad: unknown[] = [
      { byReference: true, hold: 0 },
      { byReference: true, hold: 100 },
      { byReference: true, holdMs: 1.5 },
      { byReference: true, width: W, height: H },
      { width: W },
    ];
    for (const forward of bad) {
      expect(() => new ForwardingClient({ name: `${tag}-bad`, forward: forward as never })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('byReference') }),
      );
    }
    expect(() => new ForwardingClient({ name: `${tag}-bad2`, forward: { byReference: false } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    const c = new ForwardingClient({ name: `${tag}-pixels`, forward: { byReference: true } });
    clients.push(c);
    await c.start();
    await expect(c.backend.forwardFrame(new Uint8Array(W * H * 3))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('takes the Frame'),
    });
  });

  it('forwardFrame with a meta in reference mode is refused', async () => {
    const cam = camera('meta');
    const c = await refClient('meta-client', cam);
    cam.write(patternFrame(W, H, 1), { frameNumber: 1 });
    await waitUntil('a frame forwarded', async () => (await c.backend.forwardedCount()) === 1);
    await expect(c.backend.forwardWithMeta()).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('pass no meta'),
    });
  });
});
