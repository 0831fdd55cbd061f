// The process layer as Node users expect it: AbortSignal on what waits (start, waitStop/stop, nextEvent, events),
// `await using` (Symbol.asyncDispose), events as async iterables, and the renamed ClientProcess methods next to their
// deprecated Valkka names. Real forked backends.

import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ClientProcess, MasterProcess, stopAll } from '../src/process/index.js';
import { DataRingClient } from '../src/shm/index.js';
import { EchoProcess } from './fixtures/process/echo_process.js';
import { ForwardingClient } from './fixtures/process/forwarding_client.js';
import { HashingMaster } from './fixtures/process/hashing_master.js';
import { StallingClient } from './fixtures/process/stalling_registration.js';
import { shmFiles } from './fixtures/process/test_helpers.js';
import { TickingProcess } from './fixtures/process/ticking_process.js';
import { pidExists, trackProcesses } from './support/started_processes.js';

const track = trackProcesses();

describe('AbortSignal and timeouts on what waits', () => {
  it('start({ signal }) aborted during a slow preRun rejects with ABORTED and kills the child', async () => {
    const p = track(new EchoProcess({ name: 'abort-start', slowPreRunMs: 20_000 }));
    const ac = new AbortController();
    const starting = p.start({ signal: ac.signal }).catch((e: unknown) => e);
    // Let the child fork and begin its slow preRun.
    await new Promise((r) => setTimeout(r, 800));
    const pid = p.pid!;
    expect(pid).toBeGreaterThan(0);
    const t0 = Date.now();
    ac.abort(new Error('user gave up'));
    const err = await starting;
    expect(err).toMatchObject({
      name: 'AbortError',
      code: 'ABORTED',
      message: expect.stringContaining("start() of process 'abort-start'"),
    });
    expect((err as Error).message).toContain('user gave up');
    const info = await p.waitStop(5000);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(info.signal).toBe('SIGKILL');
    expect(pidExists(pid)).toBe(false);
    expect(p.state).toBe('exited');
  });

  it(
    'start() with a signal that already fired rejects at ' + 'once and forks nothing; start({ timeoutMs }) is TIMEOUT',
    async () => {
      const p = track(new EchoProcess({ name: 'abort-early' }));
      await expect(p.start({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
      expect(p.pid).toBeNull();
      expect(p.state).toBe('new');

      const slow = track(new EchoProcess({ name: 'start-timeout', slowPreRunMs: 20_000 }));
      await expect(slow.start({ timeoutMs: 1000 })).rejects.toMatchObject({
        code: 'TIMEOUT',
        message: expect.stringContaining('1000 ms'),
      });
      expect((await slow.waitStop(5000)).signal).toBe('SIGKILL');
    },
  );

  it('bad wait options are INVALID_ARGUMENT', async () => {
    const p = track(new EchoProcess({ name: 'bad-wait' }));
    await expect(p.start({ signal: {} as AbortSignal })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('AbortSignal'),
    });
    await expect(p.start({ timeoutMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('timeoutMs'),
    });
    await p.start();
    await expect(p.nextEvent('x', { timeoutMs: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('waitStop({ signal }) ends only the wait: the stop goes on, and a later waitStop gets the exit', async () => {
    const p = track(new EchoProcess({ name: 'abort-wait', slowPostRunMs: 1500 }));
    await p.start();
    p.requestStop();
    const ac = new AbortController();
    const waiting = p.waitStop({ signal: ac.signal }).catch((e: unknown) => e);
    ac.abort();
    expect(await waiting).toMatchObject({
      name: 'AbortError',
      code: 'ABORTED',
      message: expect.stringContaining('the stop goes on'),
    });
    expect(p.state).toBe('stopping');
    const info = await p.waitStop({ timeoutMs: 10_000 });
    expect(info).toMatchObject({ code: 0, requested: true, killed: false });
  });

  it('stopAll(list, { timeoutMs }) gives every stop that timeout: a slow postRun is killed after it', async () => {
    const slow = track(new EchoProcess({ name: 'stopall-slow', slowPostRunMs: 20_000 }));
    const quick = track(new EchoProcess({ name: 'stopall-quick' }));
    await Promise.all([slow.start(), quick.start()]);
    const t0 = Date.now();
    const [a, b] = await stopAll([slow, quick], { timeoutMs: 500 });
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(a).toMatchObject({ status: 'fulfilled', value: { killed: true, signal: 'SIGKILL' } });
    expect(b).toMatchObject({ status: 'fulfilled', value: { killed: false, code: 0 } });
  });

  it(
    'nextEvent() resolves with the next event, times out ' + 'with TIMEOUT, aborts, and rejects when the process exits',
    async () => {
      const p = track(new TickingProcess({ name: 'next-event' }));
      await p.start();
      const next = p.nextEvent('tick', { timeoutMs: 10_000 });
      await p.backend.ticks(3);
      expect(await next).toEqual([1]);
      await expect(p.nextEvent('tick', { timeoutMs: 200 })).rejects.toMatchObject({
        code: 'TIMEOUT',
        message: expect.stringContaining("event 'tick'"),
      });
      const ac = new AbortController();
      const aborted = p.nextEvent('tick', { signal: ac.signal }).catch((e: unknown) => e);
      ac.abort();
      expect(await aborted).toMatchObject({ code: 'ABORTED' });
      // Nothing left behind by settled waits.
      expect(p.listenerCount('tick')).toBe(0);
      expect(p.listenerCount('exit')).toBe(0);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);

      const crashing = p.nextEvent('tick');
      await p.backend.crashLater(100);
      await expect(crashing).rejects.toMatchObject({
        code: 'BACKEND_EXITED',
        message: expect.stringContaining('crashes on purpose'),
      });
      await expect(p.nextEvent('tick')).rejects.toMatchObject({ code: 'BACKEND_EXITED' });
      // After the exit, the exit is the only event left: it comes at once.
      const [info] = await p.nextEvent('exit', { timeoutMs: 1000 });
      expect(info).toBe(p.exitInfo);
    },
  );
});

describe('registerClientProcess({ signal, timeoutMs })', () => {
  it(
    'an abort mid-registration rejects with ABORTED, ' + 'undoes the master side, and the next registration works',
    async () => {
      const forward = { width: 16, height: 8 };
      const master = track(new HashingMaster({ name: 'abort-reg-master' }));
      const stalling = track(new StallingClient({ name: 'abort-reg-client', forward, stallListenMs: 3000 }));
      await Promise.all([master.start(), stalling.start()]);
      const ac = new AbortController();
      stalling.once('stalling', () => ac.abort(new Error('registration cancelled')));
      const err = await master.registerClientProcess(stalling, { signal: ac.signal }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        name: 'AbortError',
        code: 'ABORTED',
        message: expect.stringContaining('registration cancelled'),
      });
      expect(master.registeredClients()).toEqual([]);
      expect(await master.backend.clients()).toEqual([]);
      expect(shmFiles(`${master.name}-`)).toEqual([]);

      const next = track(new ForwardingClient({ name: 'abort-reg-next', forward }));
      await next.start();
      await master.registerClientProcess(next, { timeoutMs: 10_000 });
      expect(master.registeredClients()).toEqual(['abort-reg-next']);
      await expect(master.registerClientProcess(next, { timeoutMs: -5 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      expect(master.registeredClients()).toEqual(['abort-reg-next']);
    },
  );
});

describe('events as async iterables', () => {
  it(
    'for await over p.events() gets every event in order, ' +
      'with listener arguments, and ends when the process exits',
    async () => {
      const p = track(new TickingProcess({ name: 'iterate' }));
      await p.start();
      const seen: number[] = [];
      const loop = (async () => {
        for await (const [count] of p.events('tick')) {
          seen.push(count);
          // A slow loop body: events that arrive meanwhile are queued, not lost.
          if (count === 1) await new Promise((r) => setTimeout(r, 300));
        }
        return 'ended';
      })();
      // Events a method sends arrive before its result: wait for 'done' from before the call.
      const done = p.nextEvent('done', { timeoutMs: 10_000 });
      await p.backend.ticks(50);
      await done;
      await p.stop();
      expect(await loop).toBe('ended');
      expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(p.listenerCount('tick')).toBe(0);
      expect(p.listenerCount('exit')).toBe(0);
      // Over an exited process there is nothing to wait for: the loop ends at once.
      for await (const _ of p.events('tick')) throw new Error('no events after the exit');
    },
  );

  it('a signal ends the loop with an AbortError and removes its listeners', async () => {
    const p = track(new TickingProcess({ name: 'iterate-abort' }));
    await p.start();
    const ac = new AbortController();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const [count] of p.events('tick', { signal: ac.signal })) {
        seen.push(count);
        if (count === 3) ac.abort();
      }
    })().catch((e: unknown) => e);
    await p.backend.ticks(10, 20);
    expect(await loop).toMatchObject({ name: 'AbortError', code: 'ABORTED' });
    expect(seen.slice(0, 3)).toEqual([1, 2, 3]);
    expect(p.listenerCount('tick')).toBe(0);
    expect(p.state).toBe('running');
  });

  it('break leaves the loop and removes its listeners; a loop over exit gets the exit and ends', async () => {
    const p = track(new TickingProcess({ name: 'iterate-break' }));
    await p.start();
    const first = (async () => {
      for await (const [count] of p.events('tick')) if (count === 2) return count;
      return 0;
    })();
    const exits = (async () => {
      const infos: unknown[] = [];
      for await (const [info] of p.events('exit')) infos.push(info);
      return infos;
    })();
    await p.backend.ticks(5);
    expect(await first).toBe(2);
    expect(p.listenerCount('tick')).toBe(0);
    await p.stop();
    expect(await exits).toEqual([p.exitInfo]);
    expect(p.listenerCount('exit')).toBe(0);
  });
});

describe('await using', () => {
  it('stops the process when the scope ends, and disposing again does nothing', async () => {
    let pid = 0;
    let outside: EchoProcess | null = null;
    {
      await using p = new EchoProcess({ name: 'disposed' });
      outside = p;
      await p.start();
      pid = p.pid!;
      expect(await p.backend.multiply(4)).toBe(8);
    }
    expect(outside.state).toBe('exited');
    expect(outside.exitInfo).toMatchObject({ code: 0, requested: true });
    expect(pidExists(pid)).toBe(false);
    await outside[Symbol.asyncDispose]();
    expect(outside.exitInfo).toMatchObject({ code: 0, requested: true });
  });

  it('a scope left by an error still stops the process; a never-started process disposes quietly', async () => {
    let pid = 0;
    const thrown = await (async () => {
      await using p = new TickingProcess({ name: 'disposed-throw' });
      await p.start();
      pid = p.pid!;
      throw new Error('the user code failed');
    })().catch((e: unknown) => e);
    expect(thrown).toMatchObject({ message: 'the user code failed' });
    expect(pidExists(pid)).toBe(false);
    {
      await using idle = new EchoProcess({ name: 'never-started' });
      expect(idle.state).toBe('new');
    }
  });

  it('a ClientProcess and a MasterProcess dispose like the others', async () => {
    let pids: number[] = [];
    let masterSeen: MasterProcess | null = null;
    {
      // Disposed in reverse order: the master first, which deregisters the client (readers before writers).
      await using client = new ClientProcess({ name: 'disposed-client', forward: { width: 8, height: 8 } });
      await using master = new MasterProcess({ name: 'disposed-master' });
      masterSeen = master;
      await Promise.all([client.start(), master.start()]);
      await master.registerClientProcess(client);
      expect(master.registeredClients()).toEqual(['disposed-client']);
      pids = [client.pid!, master.pid!];
    }
    expect(masterSeen.registeredClients()).toEqual([]);
    expect(masterSeen.exitInfo).toMatchObject({ code: 0, requested: true });
    expect(pids.every((pid) => !pidExists(pid))).toBe(true);
  });
});

describe('ClientProcess: clear names, Valkka names kept', () => {
  it('frameRingInfo()/dataRingInfo() and their deprecated aliases give the same rings', async () => {
    const c = track(new ClientProcess({ name: 'renamed', forward: { width: 16, height: 8 } }));
    await c.start();
    const [frame, frameOld, data, dataOld] = await Promise.all([
      c.backend.frameRingInfo(),
      c.backend.getRGB24ServerPars(),
      c.backend.dataRingInfo(),
      c.backend.getDataShmemPars(),
    ]);
    expect(frame).toEqual(frameOld);
    expect(frame).toMatchObject({ width: 16, height: 8, name: expect.stringContaining('renamed') });
    expect(data).toEqual(dataOld);
    const reader = DataRingClient.open(data, { policy: 'every' });
    try {
      await c.backend.publishData({ hello: 1 });
      expect(reader.pull(5000)?.value).toEqual({ hello: 1 });
    } finally {
      reader.close();
    }
  });
});
