// Backend calls have a deadline and can be aborted: a hung backend method fails its caller with RPC_TIMEOUT, an
// aborted call rejects with an AbortError, and replies that come too late are dropped. Real forked backends.

import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessError, type MessageProcess } from '../src/process/index.js';
import { StubbornProcess } from './fixtures/process/stubborn_process.js';

const started: MessageProcess[] = [];

async function stubborn(name: string, opts: { callTimeoutMs?: number } = {}): Promise<StubbornProcess> {
  const p = new StubbornProcess({ name: `rpc-${name}`, ...opts });
  started.push(p);
  await p.start();
  return p;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop(5000)));
});

describe('backend call timeouts', () => {
  it(
    'a hung method fails its caller after callTimeoutMs with ' +
      'RPC_TIMEOUT naming method and process; the process still answers',
    async () => {
      const p = await stubborn('hung', { callTimeoutMs: 300 });
      const t0 = Date.now();
      const err = await p.backend.hang().catch((e: unknown) => e);
      const waited = Date.now() - t0;
      expect(err).toBeInstanceOf(ProcessError);
      expect(err).toMatchObject({
        code: 'RPC_TIMEOUT',
        message: expect.stringContaining("hang() to process 'rpc-hung'"),
      });
      expect((err as Error).message).toContain('300 ms');
      expect(waited).toBeGreaterThanOrEqual(290);
      expect(waited).toBeLessThan(1500);
      console.log(`[rpc] hung call rejected after ${waited} ms (callTimeoutMs 300)`);
      expect(p.pendingCalls).toBe(0);
      expect(await p.backend.add(2, 3)).toBe(5);
    },
  );

  it('backendWith({ timeoutMs }) overrides the default per call, both shorter and longer', async () => {
    const p = await stubborn('percall', { callTimeoutMs: 600 });
    const t0 = Date.now();
    await expect(p.backendWith({ timeoutMs: 50 }).hang()).rejects.toMatchObject({
      code: 'RPC_TIMEOUT',
      message: expect.stringContaining('50 ms'),
    });
    expect(Date.now() - t0).toBeLessThan(550);
    // Slower than the default, inside its own longer limit: it succeeds.
    await expect(p.backendWith({ timeoutMs: 5000 }).sleep(900)).resolves.toBe('slept 900');
    await expect(p.backend.sleep(900)).rejects.toMatchObject({
      code: 'RPC_TIMEOUT',
      message: expect.stringContaining('600 ms'),
    });
    // Infinity: no limit at all.
    await expect(p.backendWith({ timeoutMs: Infinity }).sleep(300)).resolves.toBe('slept 300');
  });

  it('late replies of timed-out calls are dropped, and the pending-call table does not grow', async () => {
    const p = await stubborn('late');
    const calls = Array.from({ length: 200 }, () =>
      p
        .backendWith({ timeoutMs: 100 })
        .sleep(300)
        .catch((e: unknown) => e),
    );
    expect(p.pendingCalls).toBe(200);
    const errors = await Promise.all(calls);
    expect(errors.every((e) => (e as ProcessError).code === 'RPC_TIMEOUT')).toBe(true);
    expect(p.pendingCalls).toBe(0);
    // The 200 replies arrive now, after their calls gave up: they must find nothing and change nothing.
    await new Promise((r) => setTimeout(r, 500));
    expect(p.pendingCalls).toBe(0);
    // Calls that never answer at all do not pile up either.
    await Promise.all(
      Array.from({ length: 200 }, () =>
        p
          .backendWith({ timeoutMs: 50 })
          .hang()
          .catch(() => {}),
      ),
    );
    expect(p.pendingCalls).toBe(0);
    expect(await p.backend.add(20, 22)).toBe(42);
  });

  it('bad timeouts and signals are INVALID_ARGUMENT', async () => {
    expect(() => new StubbornProcess({ name: 'rpc-bad', callTimeoutMs: -5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    const p = await stubborn('badcall');
    expect(() => p.backendWith({ timeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => p.backendWith({ signal: {} as AbortSignal })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('AbortSignal') }),
    );
  });
});

describe('aborting backend calls', () => {
  it('an aborted call rejects at once with an AbortError (code ABORTED, the reason as cause)', async () => {
    const p = await stubborn('abort');
    const ac = new AbortController();
    const call = p
      .backendWith({ signal: ac.signal })
      .hang()
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    ac.abort(new Error('user closed the tab'));
    const err = (await call) as ProcessError;
    expect(Date.now() - t0).toBeLessThan(100);
    expect(err).toMatchObject({
      name: 'AbortError',
      code: 'ABORTED',
      message: expect.stringContaining("hang() to process 'rpc-abort'"),
    });
    expect(err.message).toContain('user closed the tab');
    expect((err.cause as Error).message).toBe('user closed the tab');
    expect(p.pendingCalls).toBe(0);

    // Already aborted: rejected without being sent.
    await expect(p.backendWith({ signal: AbortSignal.abort() }).add(1, 1)).rejects.toMatchObject({
      name: 'AbortError',
      code: 'ABORTED',
    });
    // AbortSignal.timeout works the same way.
    await expect(p.backendWith({ signal: AbortSignal.timeout(50) }).hang()).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await p.backend.add(1, 1)).toBe(2);
  });

  it('a signal shared by many calls holds one listener while they run, none once they settled', async () => {
    const p = await stubborn('shared');
    const ac = new AbortController();
    const api = p.backendWith({ signal: ac.signal, timeoutMs: 100 });
    const calls = [
      ...Array.from({ length: 50 }, (_, i) => api.add(i, 1)),
      ...Array.from({ length: 50 }, () => api.hang().catch(() => {})),
    ];
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    await Promise.all(calls);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(p.pendingCalls).toBe(0);
  });
});
