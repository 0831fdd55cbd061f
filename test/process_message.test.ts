// MessageProcess with real forked children: typed calls, errors, events, the lifecycle, and every way a backend ends.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { BackendError, MasterProcess, type MessageProcess, ProcessError, type ExitInfo } from '../src/process/index.js';
import { EchoProcess } from './fixtures/process/echo_process.js';
import { pidExists, trackProcesses } from './support/started_processes.js';

const scratch = mkdtempSync(join(tmpdir(), 'framering-process-test-'));
const track = trackProcesses();

function journal(name: string): string {
  return join(scratch, `${name}.journal`);
}

function steps(file: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0]!);
  } catch {
    return [];
  }
}

function nextExit(p: MessageProcess): Promise<ExitInfo> {
  return new Promise((resolve) => p.once('exit', resolve));
}

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('MessageProcess lifecycle', () => {
  it('start() resolves after preRun, in another process; stop() runs postRun and the child exits', async () => {
    const file = journal('lifecycle');
    const p = track(new EchoProcess({ name: 'lifecycle', journal: file }));
    expect(p.state).toBe('new');
    expect(p.isBackend).toBe(false);
    await p.start();
    expect(p.state).toBe('running');
    expect(steps(file)).toEqual(['preRun']);
    const pid = p.pid!;
    expect(pid).not.toBe(process.pid);
    expect(pidExists(pid)).toBe(true);

    const info = await p.stop();
    expect(info).toMatchObject({ code: 0, signal: null, requested: true, killed: false });
    expect(info.error).toBeUndefined();
    expect(steps(file)).toEqual(['preRun', 'postRun']);
    expect(p.state).toBe('exited');
    expect(pidExists(pid)).toBe(false);
  });

  it('calls before start and after stop are clear errors, and a process runs once', async () => {
    const p = track(new EchoProcess({ name: 'once' }));
    await expect(p.backend.multiply(2)).rejects.toMatchObject({
      code: 'NOT_STARTED',
      message: expect.stringContaining('await start() first'),
    });
    await p.start();
    await expect(p.start()).rejects.toMatchObject({ code: 'ALREADY_STARTED' });
    await p.stop();
    await expect(p.backend.multiply(2)).rejects.toMatchObject({
      code: 'STOPPED',
      message: expect.stringContaining('create a new object'),
    });
    await expect(p.start()).rejects.toMatchObject({ code: 'STOPPED' });
    // stopping twice is harmless and reports the same exit
    await expect(p.stop()).resolves.toMatchObject({ code: 0 });
  });

  it('stop() of a process never started resolves, and later calls say it is stopped', async () => {
    const p = new EchoProcess({ name: 'never' });
    await expect(p.stop()).resolves.toMatchObject({ requested: true, code: null });
    await expect(p.backend.add(1, 2)).rejects.toMatchObject({ code: 'STOPPED' });
  });

  it('requestStop()/waitStop() stop several processes in parallel', async () => {
    const files = [0, 1, 2].map((i) => journal(`parallel-${i}`));
    const ps = files.map((file, i) =>
      track(new EchoProcess({ name: `parallel-${i}`, journal: file, slowPostRunMs: 300 })),
    );
    await Promise.all(ps.map((p) => p.start()));
    for (const p of ps) p.requestStop();
    expect(ps.map((p) => p.state)).toEqual(['stopping', 'stopping', 'stopping']);
    const infos = await Promise.all(ps.map((p) => p.waitStop()));
    expect(infos.map((i) => i.code)).toEqual([0, 0, 0]);
    for (const file of files) expect(steps(file)).toEqual(['preRun', 'postRun']);
  });

  it('stop() during start() rejects the start as stopped and ends the child', async () => {
    const p = track(new EchoProcess({ name: 'stopearly', slowPreRunMs: 1000 }));
    const starting = p.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(p.state).toBe('starting');
    const stopping = p.stop();
    await expect(starting).rejects.toMatchObject({
      code: 'STOPPED',
      message: expect.stringContaining('before start() finished'),
    });
    await expect(stopping).resolves.toMatchObject({ requested: true });
    await expect(p.backend.add(1, 1)).rejects.toMatchObject({ code: 'STOPPED' });
  });

  it('a postRun that hangs is killed after the stop timeout', async () => {
    const p = track(new EchoProcess({ name: 'hangs', slowPostRunMs: 60_000 }));
    await p.start();
    const pid = p.pid!;
    const info = await p.stop(500);
    expect(info).toMatchObject({ signal: 'SIGKILL', killed: true, requested: true });
    expect(pidExists(pid)).toBe(false);
  });

  it('a failing preRun rejects start() with the backend message and leaves no child', async () => {
    const p = track(new EchoProcess({ name: 'badstart', failInPreRun: true }));
    const err = await p.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect(err).toMatchObject({
      code: 'START_FAILED',
      message: expect.stringContaining('preRun refused: failInPreRun was set'),
    });
    expect((err as Error).cause).toBeInstanceOf(BackendError);
    const info = p.exitInfo ?? (await nextExit(p));
    expect(info.code).toBe(1);
    expect(p.state).toBe('exited');
  });

  it(
    'a start that overruns startTimeoutMs is killed and ' + 'rejected; a failing postRun is reported by stop()',
    async () => {
      const slow = track(new EchoProcess({ name: 'slowstart', slowPreRunMs: 60_000, startTimeoutMs: 500 }));
      await expect(slow.start()).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('500 ms') });
      const info = slow.exitInfo ?? (await nextExit(slow));
      expect(info.signal).toBe('SIGKILL');

      const p = track(new EchoProcess({ name: 'badpostrun', failInPostRun: true }));
      await p.start();
      await expect(p.stop()).resolves.toMatchObject({
        code: 1,
        requested: true,
        error: { message: 'postRun could not flush' },
      });
    },
  );

  it('a class that does not say where it lives, or a wrong export name, is a clear error', async () => {
    class Unlocated extends EchoProcess {}
    await expect(new Unlocated({ name: 'unlocated' }).start()).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('static moduleUrl = import.meta.url'),
    });
    const p = track(new EchoProcess({ name: 'wrongexport', exportName: 'NoSuchClass' }));
    await expect(p.start()).rejects.toMatchObject({
      code: 'START_FAILED',
      message: expect.stringMatching(/no export named 'NoSuchClass'.*EchoProcess/),
    });
    expect(() => new EchoProcess({ name: 'bad/name' })).toThrow(/process name 'bad\/name' is not valid/);
  });

  it('options that cannot be sent to the backend are refused', async () => {
    const p = new EchoProcess({ name: 'badopts', ...({ callback: () => {} } as object) });
    await expect(p.start()).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('use plain data'),
    });
  });
});

describe('MessageProcess calls and events', () => {
  it('typed calls resolve with the backend return value (async and sync methods, bytes, objects)', async () => {
    const p = track(new EchoProcess({ name: 'calls', factor: 3 }));
    await p.start();
    await expect(p.backend.multiply(7)).resolves.toBe(21);
    await expect(p.backend.add(40, 2)).resolves.toBe(42);
    await expect(p.call('add', 1, 2)).resolves.toBe(3);
    const me = await p.backend.whoAmI();
    expect(me).toEqual({ pid: p.pid, isBackend: true, name: 'calls' });
    const bytes = await p.backend.echoBytes(new Uint8Array([0, 1, 254]));
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...bytes]).toEqual([255, 254, 1]);
    // many calls in flight at once, each answered by its own promise
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => p.backend.add(i, i)));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i));
  });

  it('a backend error rejects the call with its message, stack and code', async () => {
    const p = track(new EchoProcess({ name: 'errors' }));
    await p.start();
    const err = (await p.backend.fail('the answer is not 42').catch((e: unknown) => e)) as BackendError;
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toBe('the answer is not 42');
    expect(err.code).toBe('BACKEND_ERROR');
    expect(err.remoteName).toBe('RangeError');
    expect(err.method).toBe('fail');
    expect(err.stack).toContain('echo_process.ts');
    expect(err.stack).toContain("in backend of process 'errors'");
    await expect(p.backend.failWithCode()).rejects.toMatchObject({
      code: 'RING_NOT_FOUND',
      message: 'a coded failure',
    });
    // the backend keeps serving after an error
    await expect(p.backend.multiply(5)).resolves.toBe(10);
  });

  it('refuses unknown methods, machinery, hooks and private names; unsendable values are clear errors', async () => {
    const p = track(new EchoProcess({ name: 'refusals' }));
    await p.start();
    const untyped = p.backend as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    await expect(untyped.noSuchMethod!()).rejects.toMatchObject({
      code: 'UNKNOWN_METHOD',
      message: expect.stringContaining('no backend method noSuchMethod()'),
    });
    for (const name of ['start', 'stop', 'emit', 'sendOut', 'preRun', 'postRun', '_hidden', 'toString']) {
      await expect(untyped[name]!()).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' });
    }
    await expect(p.backend.returnFunction()).rejects.toMatchObject({
      code: 'SEND_FAILED',
      message: expect.stringContaining('returnFunction()'),
    });
    await expect(untyped.add!(() => 1, 2)).rejects.toMatchObject({
      code: 'SEND_FAILED',
      message: expect.stringContaining('arguments of add()'),
    });
    await expect(p.backend.emitReserved()).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('sendOut'),
    });
    await expect(p.backend.add(1, 1)).resolves.toBe(2);
  });

  it('events sent with sendOut reach p.on listeners, in order', async () => {
    const p = track(new EchoProcess({ name: 'events' }));
    const ticks: Array<{ i: number; counter: number }> = [];
    p.on('tick', (payload) => ticks.push(payload));
    await p.start();
    await expect(p.backend.emitEvents(5)).resolves.toBe(5);
    // events are sent before the call's result, over the same ordered channel
    expect(ticks).toEqual([0, 1, 2, 3, 4].map((i) => ({ i, counter: i + 1 })));
  });

  it('p.backend is typed from the class: parameters, awaited results, no machinery (checked by tsc)', () => {
    const p = new EchoProcess({ name: 'types' });
    expectTypeOf(p.backend.multiply).toEqualTypeOf<(a: number) => Promise<number>>();
    expectTypeOf(p.backend.add).toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    expectTypeOf(p.backend.whoAmI).returns.resolves.toEqualTypeOf<{ pid: number; isBackend: boolean; name: string }>();
    expectTypeOf(p.call<'add'>).parameters.toEqualTypeOf<['add', number, number]>();
    const m = new MasterProcess({ name: 'types-master' });
    expectTypeOf(m.backend.reply).toEqualTypeOf<(client: string, value: unknown) => Promise<number | null>>();
    // Not offered: lifecycle hooks, the machinery, private names, frontend-only methods.
    expectTypeOf(p.backend).not.toHaveProperty('preRun');
    expectTypeOf(p.backend).not.toHaveProperty('postRun');
    expectTypeOf(p.backend).not.toHaveProperty('start');
    expectTypeOf(p.backend).not.toHaveProperty('on');
    expectTypeOf(p.backend).not.toHaveProperty('_hidden');
    expectTypeOf(m.backend).not.toHaveProperty('registerClientProcess');
    expectTypeOf(m.backend).not.toHaveProperty('handleFrame');
    expectTypeOf(m.backend).toHaveProperty('activateRGB24Client');
  });

  it('backend-only and frontend-only operations are refused on the wrong side', async () => {
    const p = new EchoProcess({ name: 'sides' });
    expect(() => (p as unknown as { sendOut(n: string): void }).sendOut('x')).toThrow(/runs in the backend/);
  });
});

describe('MessageProcess: a backend that ends on its own', () => {
  it('a crash rejects every pending call and emits exit with code, signal and the error', async () => {
    const p = track(new EchoProcess({ name: 'crasher' }));
    await p.start();
    const exit = nextExit(p);
    const pending = [p.backend.sleep(30_000), p.backend.sleep(30_000)];
    await expect(p.backend.crashLater(50)).resolves.toBe('crash scheduled');
    for (const call of pending) {
      await expect(call).rejects.toMatchObject({
        code: 'BACKEND_EXITED',
        message: expect.stringContaining('deliberate crash in a timer'),
      });
    }
    const info = await exit;
    expect(info).toMatchObject({ code: 1, signal: null, requested: false });
    expect(info.error?.message).toBe('deliberate crash in a timer');
    await expect(p.backend.add(1, 2)).rejects.toMatchObject({ code: 'STOPPED' });
  });

  it('an outside SIGKILL rejects pending calls and reports the signal', async () => {
    const p = track(new EchoProcess({ name: 'killed' }));
    await p.start();
    const exit = nextExit(p);
    const pending = p.backend.sleep(30_000);
    process.kill(p.pid!, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({
      code: 'BACKEND_EXITED',
      message: expect.stringContaining('SIGKILL'),
    });
    await expect(exit).resolves.toMatchObject({ code: null, signal: 'SIGKILL', requested: false });
  });

  it('process.exit in the backend is reported with its code', async () => {
    const p = track(new EchoProcess({ name: 'exits' }));
    await p.start();
    const exit = nextExit(p);
    await expect(p.backend.exitNow(7)).rejects.toMatchObject({ code: 'BACKEND_EXITED' });
    await expect(exit).resolves.toMatchObject({ code: 7, signal: null });
  });

  it('stop() while a call is pending rejects it as stopped', async () => {
    const p = track(new EchoProcess({ name: 'pendingstop' }));
    await p.start();
    const pending = p.backend.sleep(30_000);
    await p.stop();
    await expect(pending).rejects.toMatchObject({ code: 'STOPPED' });
  });

  it('children ignore SIGINT; SIGTERM stops them gracefully (postRun runs)', async () => {
    const file = journal('signals');
    const p = track(new EchoProcess({ name: 'signals', journal: file }));
    await p.start();
    process.kill(p.pid!, 'SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    await expect(p.backend.add(2, 2)).resolves.toBe(4);
    const exit = nextExit(p);
    process.kill(p.pid!, 'SIGTERM');
    await expect(exit).resolves.toMatchObject({ code: 0, signal: null, requested: false });
    expect(steps(file)).toEqual(['preRun', 'postRun']);
  });
});
