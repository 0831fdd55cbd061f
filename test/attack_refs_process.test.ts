// Attack on ClientProcess forwarding by reference, with real processes and real rings: a master killed while it
// holds camera frames, a client killed while the master holds frames of its camera, the camera ring made again under
// the same name while references flow, and a slow master (the camera writer must keep its slots).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stopInOrder } from '../src/process/index.js';
import { FrameRingServer } from '../src/shm/index.js';
import { RefsClient } from './fixtures/attack/refs_client.js';
import { RefsMaster, type RefsSeen } from './fixtures/attack/refs_master.js';
import { fnv1a, patternFrame } from './fixtures/process/frame_hash.js';
import { isAlive, shmFiles, waitEvent, waitUntil } from './fixtures/process/test_helpers.js';

const tag = `arp${process.pid}`;
const W = 32;
const H = 24;
const clients: RefsClient[] = [];
const masters: RefsMaster[] = [];
const cameras: FrameRingServer[] = [];
const timers: NodeJS.Timeout[] = [];

interface Reply {
  value: { frameNumber: number; hash: number | null };
  seq: number;
}

function camera(name: string, slots = 4): FrameRingServer {
  const s = new FrameRingServer({ name: `${tag}-${name}`, width: W, height: H, slots });
  cameras.push(s);
  return s;
}

async function refClient(name: string, cam: FrameRingServer, policy: 'every' | 'latest' = 'every') {
  const c = new RefsClient({ name: `${tag}-${name}`, forward: { byReference: true } });
  clients.push(c);
  await c.start();
  await c.backend.activateRGB24Client(cam.info(), { source: 'cam', policy });
  return c;
}

async function master(name: string, policy: 'every' | 'latest' = 'every'): Promise<RefsMaster> {
  const m = new RefsMaster({ name: `${tag}-${name}`, policy });
  masters.push(m);
  await m.start();
  return m;
}

/** Writes frames numbered from `from` every `everyMs` until stopped; returns the stop. */
function pace(cam: () => FrameRingServer, from: number, everyMs: number): { stop: () => void; next: () => number } {
  let n = from;
  const t = setInterval(() => {
    const c = cam();
    if (!c.isClosed) c.write(patternFrame(W, H, n), { frameNumber: n++ });
  }, everyMs);
  timers.push(t);
  return { stop: () => clearInterval(t), next: () => n };
}

function checkSeen(seen: RefsSeen[]): string[] {
  const bad: string[] = [];
  for (const s of seen) {
    if (s.error) bad.push(`frame ${s.frameNumber}: ${s.error}`);
    else if (s.hash !== fnv1a(patternFrame(W, H, s.frameNumber))) bad.push(`frame ${s.frameNumber}: wrong pixels`);
  }
  return bad;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  await stopInOrder(clients.splice(0), masters.splice(0));
  for (const c of cameras.splice(0)) c.close();
});

afterAll(() => {
  expect(shmFiles(tag)).toEqual([]);
});

describe('attack: forwarding by reference across processes', () => {
  it('a master killed holding camera frames: the camera writes on, the client lives, a new master works', async () => {
    const cam = camera('mk', 4);
    const c = await refClient('mk-client', cam);
    const m1 = await master('mk-master1');
    await m1.registerClientProcess(c);
    const stalled = waitEvent(m1, 'stalling');
    await m1.backend.stallNext(60_000);
    const writer = pace(() => cam, 1, 20);
    await stalled; // m1 now holds a camera frame for a minute
    const masterGone = waitEvent(c, 'my-master-gone');
    process.kill(m1.pid!, 'SIGKILL');
    await masterGone;
    expect(isAlive(c.pid!)).toBe(true);
    // The dead master's hold is reclaimed: after a moment every write finds a slot again.
    await sleep(1500);
    const drops = cam.stats().writerDrops;
    await sleep(1000);
    expect(cam.stats().writerDrops).toBe(drops);
    expect((await c.backend.getStats()).forward.holding).toBeLessThanOrEqual(2);
    // A new master, registered afterwards, gets the camera's own frames.
    const m2 = await master('mk-master2');
    await m2.registerClientProcess(c);
    const from = writer.next();
    await waitEvent<Reply>(c, 'reply', (r) => r.value.frameNumber > from + 5, 10_000);
    writer.stop();
    expect(checkSeen(await m2.backend.seenFrames())).toEqual([]);
    expect(c.state).toBe('running');
  }, 20_000);

  it("a client killed while the master holds its camera's frame: the master goes on, 'client-gone' once", async () => {
    const cam = camera('ck', 4);
    const c = await refClient('ck-client', cam);
    const c2 = await refClient('ck-other', camera('ck2', 4));
    const m = await master('ck-master');
    await m.registerClientProcess(c);
    await m.registerClientProcess(c2);
    const gone: string[] = [];
    m.on('client-gone', (e: { client: string }) => gone.push(e.client));
    const stalled = waitEvent(m, 'stalling', (e: { client: string }) => e.client === c.name);
    await m.backend.stallNext(1500);
    const writer = pace(() => cam, 1, 20);
    await stalled;
    process.kill(c.pid!, 'SIGKILL');
    await waitUntil('client-gone', () => gone.length > 0, 10_000);
    // The frame the master held when the client died is still the camera's frame when the handler reads it.
    await waitUntil('the stalled frame handled', async () => (await m.backend.seenFrames()).length > 0, 10_000);
    await sleep(1000);
    expect(gone).toEqual([c.name]);
    await waitUntil('camera holds reclaimed', () => cam.stats().readers.every((r) => r.held === 0), 5000);
    const drops = cam.stats().writerDrops;
    await sleep(500);
    expect(cam.stats().writerDrops).toBe(drops);
    writer.stop();
    // The other client is still served.
    const cam2 = cameras[1]!;
    const reply = waitEvent<Reply>(c2, 'reply', (r) => r.value.frameNumber === 77);
    cam2.write(patternFrame(W, H, 77), { frameNumber: 77 });
    expect((await reply).value.hash).toBe(fnv1a(patternFrame(W, H, 77)));
    expect(m.state).toBe('running');
  }, 20_000);

  it('a client killed while the master handles its camera frame: the frame stays readable', async () => {
    // The frame lies in the camera's ring, whose writer is alive; only the client that passed the reference died.
    // (Copy mode invalidates the frame too, but there the frame lies in the dead client's own ring.)
    const cam = camera('ckr', 4);
    const c = await refClient('ckr-client', cam);
    const m = await master('ckr-master');
    await m.registerClientProcess(c);
    const stalled = waitEvent(m, 'stalling');
    await m.backend.stallNext(1500);
    cam.write(patternFrame(W, H, 1), { frameNumber: 1 });
    await stalled;
    process.kill(c.pid!, 'SIGKILL');
    await waitUntil('the stalled frame handled', async () => (await m.backend.seenFrames()).length > 0, 10_000);
    expect(checkSeen(await m.backend.seenFrames())).toEqual([]);
  }, 20_000);

  it('the camera ring made again under its name while references flow: only the referenced frames', async () => {
    let cam = camera('remade', 4);
    const name = cam.name;
    const c = await refClient('rm-client', cam);
    const m = await master('rm-master');
    await m.registerClientProcess(c);
    // The master stalls on a frame of the first ring, so references to it queue up while the ring is made again
    // (same slots, same seqs from 1 again: only the creation time tells the old frames from the new).
    const stalled = waitEvent(m, 'stalling');
    await m.backend.stallNext(700);
    for (let n = 1; n <= 3; n++) cam.write(patternFrame(W, H, n), { frameNumber: n });
    await stalled;
    for (let n = 4; n <= 6; n++) {
      cam.write(patternFrame(W, H, n), { frameNumber: n });
      await sleep(10);
    }
    const ringGone = waitEvent(c, 'ring-gone');
    cam.close();
    await ringGone;
    cam = new FrameRingServer({ name, width: W, height: H, slots: 4 });
    cameras.push(cam);
    await c.backend.activateRGB24Client(cam.info(), { source: 'cam', policy: 'every' });
    // Frames of the new ring with the same seqs (1-4) in the same slots as frames 1-4 of the old one, while the
    // master still stalls with references to the old ring queued behind.
    for (let n = 101; n <= 104; n++) {
      cam.write(patternFrame(W, H, n), { frameNumber: n });
      await sleep(10);
    }
    await waitUntil('the stall over', async () => (await m.backend.seenFrames()).length > 0, 10_000);
    for (let n = 105; n <= 130; n++) {
      cam.write(patternFrame(W, H, n), { frameNumber: n });
      await sleep(25);
    }
    await waitUntil(
      'a frame of the new ring answered',
      async () => (await m.backend.seenFrames()).some((s) => s.frameNumber === 130),
      10_000,
    );
    const seen = await m.backend.seenFrames();
    expect(checkSeen(seen)).toEqual([]);
    const numbers = seen.map((s) => s.frameNumber);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b)); // in order, each frame its own
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers.filter((n) => n > 100).length).toBeGreaterThan(10);
  }, 20_000);

  for (const policy of ['latest', 'every'] as const) {
    it(`a slow master (${policy}): the client's holds stay bounded, the camera writer keeps its slots`, async () => {
      const cam = camera(`slow-${policy}`, 4);
      const c = await refClient(`slow-${policy}-client`, cam, 'latest');
      const m = await master(`slow-${policy}-master`, policy);
      await m.registerClientProcess(c);
      await m.backend.setDelay(1000);
      const before = await c.backend.counts();
      const writer = pace(() => cam, 1, 10);
      await sleep(3500);
      writer.stop();
      const after = await c.backend.counts();
      expect(after.maxHolding).toBeLessThanOrEqual(2);
      expect(after.forwarded).toBeGreaterThan(50);
      expect(after.rss - before.rss).toBeLessThan(30 * 1024 * 1024);
      expect(checkSeen(await m.backend.seenFrames())).toEqual([]);
      // Only this client (and the master, through it) reads the camera: no write may find every slot held.
      expect(cam.stats().writerDrops).toBe(0);
    }, 20_000);
  }

  it('control: the same client forwarding by reference with no master: the camera writer never drops', async () => {
    const cam = camera('slowc0', 4);
    const c = await refClient('slowc0-client', cam, 'latest');
    await c.backend.setDelay(30);
    const writer = pace(() => cam, 1, 10);
    await sleep(2000);
    writer.stop();
    expect((await c.backend.counts()).forwarded).toBeGreaterThan(20);
    expect(cam.stats().writerDrops).toBe(0);
  }, 20_000);

  it('a slow master, a client that awaits before it forwards: the camera writer keeps its slots', async () => {
    const cam = camera('slowc', 4);
    const c = await refClient('slowc-client', cam, 'latest');
    await c.backend.setDelay(30);
    const m = await master('slowc-master', 'latest');
    await m.registerClientProcess(c);
    await m.backend.setDelay(1000);
    const writer = pace(() => cam, 1, 10);
    await sleep(3500);
    writer.stop();
    expect(checkSeen(await m.backend.seenFrames())).toEqual([]);
    // Without the master, the client's 'latest' reader holds at most 1 slot + 2 pins of 4: never all. The master's
    // hold on a frame the client no longer pins is the 4th.
    expect(cam.stats().writerDrops).toBe(0);
  }, 20_000);
});
