// ClientProcess → MasterProcess → reply to the right client, with real rings and several clients at once; and what
// happens when either side dies.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type ClientProcess,
  type MasterProcess,
  stopInOrder,
  type ExitInfo,
  type MessageProcess,
} from '../src/process/index.js';
import { DataRingClient, FrameRingServer } from '../src/shm/index.js';
import { fnv1a, patternFrame } from './fixtures/process/frame_hash.js';
import { ForwardingClient } from './fixtures/process/forwarding_client.js';
import { HashingMaster, type MasterReply } from './fixtures/process/hashing_master.js';
import { isAlive, shmFiles, waitEvent, waitUntil } from './fixtures/process/test_helpers.js';

const tag = `pms${process.pid}`;
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

function camera(name: string): FrameRingServer {
  const s = new FrameRingServer({ name: `${tag}-${name}`, width: W, height: H, slots: 8 });
  cameras.push(s);
  return s;
}

async function client(name: string, cam?: FrameRingServer): Promise<ForwardingClient> {
  const c = new ForwardingClient({ name: `${tag}-${name}`, forward: { width: W, height: H } });
  clients.push(c);
  await c.start();
  if (cam) await c.backend.activateRGB24Client(cam.info(), { source: cam.name, policy: 'every' });
  return c;
}

async function master(name: string, opts: { maxClients?: number } = {}): Promise<HashingMaster> {
  const m = new HashingMaster({ name: `${tag}-${name}`, policy: 'every', ...opts });
  masters.push(m);
  await m.start();
  return m;
}

/** A kill -9'd process cannot close its two rings: its frontend removed them before reporting the exit. */
async function expectRingsRemovedOnExit(p: MessageProcess): Promise<void> {
  await waitUntil(`${p.name} exit seen`, () => p.state === 'exited');
  expect(p.exitInfo!.removedRings).toHaveLength(2);
  for (const ring of p.exitInfo!.removedRings) expect(ring).toContain(p.name);
  expect(shmFiles(p.name)).toEqual([]);
}

afterEach(async () => {
  // Shutdown order: clients, then masters, then the camera rings they read.
  await stopInOrder(clients.splice(0), masters.splice(0));
  for (const c of cameras.splice(0)) c.close();
});

afterAll(() => {
  expect(shmFiles(tag)).toEqual([]);
});

describe('ClientProcess and MasterProcess', () => {
  it('several clients forward frames to one master, and each gets the replies for its own frames', async () => {
    const names = ['a', 'b', 'c'];
    const cams = names.map((n) => camera(`cam-${n}`));
    const cs = await Promise.all(names.map((n, i) => client(`client-${n}`, cams[i])));
    const m = await master('master');
    for (const c of cs) await m.registerClientProcess(c);
    expect(m.registeredClients()).toEqual(cs.map((c) => c.name));
    await expect(m.backend.clients()).resolves.toEqual(cs.map((c) => c.name));

    const repliesOf = new Map<string, ReplyEvent[]>(cs.map((c) => [c.name, []]));
    for (const c of cs) c.on('reply', (r: ReplyEvent) => repliesOf.get(c.name)!.push(r));

    for (let n = 1; n <= 8; n++) {
      const waits = cs.map((c) => waitEvent<ReplyEvent>(c, 'reply', (r) => r.value.frameNumber === n));
      cams.forEach((cam, i) => {
        cam.write(patternFrame(W, H, 10 * i + n), { frameNumber: n });
      });
      await Promise.all(waits);
    }
    cs.forEach((c, i) => {
      const replies = repliesOf.get(c.name)!;
      expect(replies.map((r) => r.value.frameNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      for (const r of replies) {
        expect(r.me).toBe(c.name);
        expect(r.value.client).toBe(c.name);
        expect(r.value.hash).toBe(fnv1a(patternFrame(W, H, 10 * i + r.value.frameNumber)));
      }
    });
    await expect(m.backend.handledCount()).resolves.toBe(24);
    const stats = await cs[0]!.backend.getStats();
    expect(stats.messages).toMatchObject({ handled: 8, errors: 0, listening: expect.stringContaining(m.name) });
    expect(stats.forward.written).toBe(8);
  });

  it("a client's own data ring serves downstream consumers", async () => {
    const cam = camera('downstream');
    const c = await client('publisher', cam);
    const pars = await c.backend.dataRingInfo();
    const reader = DataRingClient.open(pars);
    try {
      const got: unknown[] = [];
      reader.onMessage((value) => {
        got.push(value);
      });
      cam.write(patternFrame(W, H, 5), { frameNumber: 5 });
      await waitUntil('a published summary', () => got.length === 1);
      expect(got[0]).toEqual({ source: cam.name, frameNumber: 5, hash: fnv1a(patternFrame(W, H, 5)) });
    } finally {
      reader.close();
    }
    const framePars = await c.backend.frameRingInfo();
    expect(framePars).toMatchObject({ width: W, height: H, name: expect.stringContaining(c.name) });
  });

  it('registration errors are clear: twice, unknown, too many, not started, wrong kind, wrong side', async () => {
    const m = await master('strict', { maxClients: 2 });
    const [c1, c2, c3] = await Promise.all([client('s1'), client('s2'), client('s3')]);
    await m.registerClientProcess(c1);
    await expect(m.registerClientProcess(c1)).rejects.toMatchObject({
      code: 'ALREADY_REGISTERED',
      message: expect.stringContaining('already registered'),
    });
    const twin = new ForwardingClient({ name: c1.name, forward: { width: W, height: H } });
    await expect(m.registerClientProcess(twin)).rejects.toMatchObject({ code: 'NOT_STARTED' });
    clients.push(twin);
    await twin.start();
    await expect(m.registerClientProcess(twin)).rejects.toMatchObject({
      code: 'ALREADY_REGISTERED',
      message: expect.stringContaining('another client named'),
    });
    await m.registerClientProcess(c2);
    await expect(m.registerClientProcess(c3)).rejects.toMatchObject({
      code: 'TOO_MANY_CLIENTS',
      message: expect.stringContaining('maxClients 2'),
    });
    await expect(m.deregisterClientProcess(c3)).rejects.toMatchObject({
      code: 'NOT_REGISTERED',
      message: expect.stringContaining(c3.name),
    });
    await expect(m.registerClientProcess(m as unknown as ClientProcess)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const untyped = m.backend as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    await expect(untyped.registerClientProcess!(c3)).rejects.toMatchObject({
      code: expect.stringMatching(/UNKNOWN_METHOD|SEND_FAILED/),
    });
    await expect(untyped.registeredClients!()).rejects.toMatchObject({
      code: 'UNKNOWN_METHOD',
      message: expect.stringContaining('runs in the frontend'),
    });
    await expect(m.backend.reply('nobody', 1)).rejects.toMatchObject({ code: 'NOT_REGISTERED' });
    const notStarted = new HashingMaster({ name: `${tag}-idle` });
    await expect(notStarted.registerClientProcess(c3)).rejects.toMatchObject({ code: 'NOT_STARTED' });
    expect(() => new ForwardingClient({ name: `${tag}-nogeo` } as never)).toThrow(/needs forward/);

    // deregistration frees the slot; the client stops listening
    await m.deregisterClientProcess(c1);
    await expect(c1.backend.getStats()).resolves.toMatchObject({ messages: { listening: null } });
    await m.registerClientProcess(c3);
    expect(m.registeredClients()).toEqual([c2.name, c3.name]);
    await expect(m.backend.clients()).resolves.toEqual([c2.name, c3.name]);
  });

  it('a client that crashes is deregistered and its resources freed', async () => {
    const cam = camera('crash');
    const m = await master('survivor');
    const c = await client('crasher', cam);
    const ok = await client('bystander');
    await m.registerClientProcess(c);
    await m.registerClientProcess(ok);
    const gone = waitEvent<{ client: string }>(m, 'client-gone', (e) => e.client === c.name);
    await c.backend.crash();
    await expect(gone).resolves.toMatchObject({ client: c.name, reason: expect.any(String) });
    await waitUntil('frontend registry updated', () => !m.registeredClients().includes(c.name));
    await expect(m.backend.clients()).resolves.toEqual([ok.name]);
    // a crashed backend still closes its rings (uncaught error → teardown → exit)
    await waitUntil('the crashed client exited', () => c.state === 'exited');
    expect(c.exitInfo).toMatchObject({ code: 1, error: { message: 'client crashed on purpose' } });
    expect(shmFiles(c.name)).toEqual([]);
  });

  it('a client killed with SIGKILL is noticed by the master, which frees its side', async () => {
    const m = await master('watcher');
    const c = await client('victim');
    await m.registerClientProcess(c);
    const pid = c.pid!;
    const gone = waitEvent<{ client: string }>(m, 'client-gone', (e) => e.client === c.name);
    process.kill(pid, 'SIGKILL');
    await gone;
    await expect(m.backend.clients()).resolves.toEqual([]);
    await waitUntil('frontend registry updated', () => m.registeredClients().length === 0);
    await expectRingsRemovedOnExit(c);
  });

  it(
    'the rings of a client killed with SIGKILL are gone ' + 'from /dev/shm when its exit event fires, and listed',
    async () => {
      const c = await client('killed9');
      const [frame, data] = await Promise.all([c.backend.frameRingInfo(), c.backend.dataRingInfo()]);
      expect(shmFiles(frame.name)).toHaveLength(1);
      expect(shmFiles(data.name)).toHaveLength(1);
      const seenAtExit = new Promise<{ info: ExitInfo; left: string[] }>((resolve) =>
        c.once('exit', (info) => resolve({ info, left: shmFiles(c.name) })),
      );
      process.kill(c.pid!, 'SIGKILL');
      const { info, left } = await seenAtExit;
      expect(info).toMatchObject({ signal: 'SIGKILL', requested: false });
      expect(left).toEqual([]);
      expect([...info.removedRings].sort()).toEqual([frame.name, data.name].sort());
    },
  );

  it('an orderly stop removes nothing on the frontend: the backend closed its own rings', async () => {
    const c = await client('orderly-client');
    const info = await c.stop();
    expect(info).toMatchObject({ code: 0, requested: true, removedRings: [] });
    expect(shmFiles(c.name)).toEqual([]);
  });

  it("the master's backend frees a client whose ring goes away on its own", async () => {
    const m = await master('ringwatch');
    const ring = camera('direct');
    const replyPars = await m.backend.attachClient('direct', ring.info());
    expect(shmFiles(replyPars.name)).toHaveLength(1);
    await expect(m.backend.clients()).resolves.toEqual(['direct']);
    ring.close();
    await waitUntil('the master freed the client', async () => (await m.backend.clients()).length === 0);
    expect(shmFiles(replyPars.name)).toEqual([]);

    // The same when the writer dies without closing (SIGKILL), with no frontend registration to tell the master.
    const c = await client('unregistered');
    const pid = c.pid!;
    const reply2 = await m.backend.attachClient('unregistered', await c.backend.frameRingInfo());
    process.kill(pid, 'SIGKILL');
    await waitUntil('the master noticed the dead writer', async () => (await m.backend.clients()).length === 0);
    expect(shmFiles(reply2.name)).toEqual([]);
    await expectRingsRemovedOnExit(c);
  });

  it('a master that dies is noticed by its clients', async () => {
    const m = await master('doomed');
    const [c1, c2] = await Promise.all([client('orphan1'), client('orphan2')]);
    await m.registerClientProcess(c1);
    await m.registerClientProcess(c2);
    const events = [c1, c2].map((c) => waitEvent(c, 'master-gone'));
    const hooks = [c1, c2].map((c) => waitEvent(c, 'my-master-gone'));
    const pid = m.pid!;
    process.kill(pid, 'SIGKILL');
    for (const e of await Promise.all(events))
      expect(e).toMatchObject({ ring: expect.stringContaining(m.name), reason: expect.any(String) });
    await Promise.all(hooks);
    for (const c of [c1, c2])
      await expect(c.backend.getStats()).resolves.toMatchObject({ messages: { listening: null } });
    await expectRingsRemovedOnExit(m);
  });

  it('stopping a master deregisters its clients first; stopInOrder leaves nothing behind', async () => {
    const cam = camera('order');
    const m = await master('orderly');
    const cs = await Promise.all([client('o1', cam), client('o2')]);
    for (const c of cs) await m.registerClientProcess(c);
    const masterGone = cs.map((c) =>
      waitEvent(c, 'master-gone', () => true, 1500).then(
        () => true,
        () => false,
      ),
    );
    await m.stop();
    expect(m.registeredClients()).toEqual([]);
    // the clients had stopped listening before the master closed its rings: no 'master-gone'
    expect(await Promise.all(masterGone)).toEqual([false, false]);
    for (const c of cs) await expect(c.backend.getStats()).resolves.toMatchObject({ messages: { listening: null } });
    const pids = cs.map((c) => c.pid!);
    await stopInOrder(clients.splice(0), masters.splice(0));
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    cam.close();
    expect(shmFiles(tag)).toEqual([]);
  });
});
