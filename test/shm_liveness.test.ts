// Issue 8 §1 and §2: liveness the kernel vouches for (EMFILE, PID namespaces, kill -9), no process stopped at any
// instruction can slow the others, and a termination signal ends a blocked pull().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FrameRingServer } from '../src/shm/index.js';
import { removeSegment } from '../src/shm/internal.js';
import { exited, forkScript, nextMessage } from './support/child_script.js';
import { trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';

const READER = new URL('./fixtures/shm/ring_reader_child.ts', import.meta.url);
const WRITER = new URL('./fixtures/shm/paced_writer_child.ts', import.meta.url);
const PULL_FOREVER = new URL('./fixtures/shm/pull_forever_child.ts', import.meta.url);
let seq = 0;
const { cleanups, children } = trackCleanups();
/** A fresh ring name; its segment is removed after the test, since writers here are children killed with -9. */
function ringName(): string {
  const name = `t-live-${process.pid}-${++seq}`;
  cleanups.push(() => void removeSegment(`framering-${name}`));
  return name;
}
// PID namespaces need CAP_SYS_ADMIN: root on a machine (CI's included), not always inside an unprivileged container.
const canUnsharePid = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

function child(url: URL, args: string[]): ChildProcess {
  const c = forkScript(url, args);
  children.push(c);
  return c;
}

/**
 * The script in a PID namespace of its own, with its own /proc (as in a Kubernetes sidecar sharing /dev/shm), still
 * talking to us over the IPC channel it inherits. --kill-child: kill -9 of the unshare process kills the script too.
 */
function childInPidNamespace(url: URL, args: string[]): ChildProcess {
  const c = spawn(
    'unshare',
    [
      '--pid',
      '--fork',
      '--mount-proc',
      '--kill-child=SIGKILL',
      process.execPath,
      '--import',
      'tsx',
      fileURLToPath(url),
      ...args,
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  children.push(c);
  return c;
}

/** Every message of a child, kept in order. */
function record(c: ChildProcess): Array<Record<string, unknown>> {
  const all: Array<Record<string, unknown>> = [];
  c.on('message', (m: Record<string, unknown>) => all.push(m));
  return all;
}

async function writerStats(writer: ChildProcess): Promise<{ written: number; readers: Array<{ pid: number }> }> {
  writer.send({ stats: true });
  const m = await nextMessage<{ stats: { readers: Array<{ pid: number }> }; written: number }>(
    writer,
    (x) => 'stats' in x,
  );
  return { written: m.written, readers: m.stats.readers };
}

const framesOf = (messages: Array<Record<string, unknown>>) => messages.filter((m) => 'frame' in m);
const goneOf = (messages: Array<Record<string, unknown>>) => messages.filter((m) => 'gone' in m);

describe('liveness the kernel vouches for', () => {
  it('a writer out of file descriptors writes on: readers keep their entries and see no torn frame', async () => {
    const name = ringName();
    const writer = child(WRITER, [name, '200']);
    await nextMessage(writer, (m) => m.ready === true);
    // A slow reader: it holds each frame 20 ms and checks it twice, so an overwrite of a held slot would show.
    const reader = child(READER, [name, 'every', 'handler', '20']);
    const messages = record(reader);
    await nextMessage(reader, (m) => m.ready === true);
    await until('framesOf(messages).length > 5', () => framesOf(messages).length > 5, 10_000);
    writer.send({ exhaustFds: true });
    const exhausted = await nextMessage<{ exhausted: number; code: string }>(writer, (m) => 'exhausted' in m);
    expect(exhausted.code).toBe('EMFILE');
    const before = framesOf(messages).length;
    await new Promise((r) => setTimeout(r, 2500)); // several reclaim rounds of the writer
    const frames = framesOf(messages);
    expect(frames.length - before).toBeGreaterThan(40);
    expect(frames.every((f) => f.ok === true)).toBe(true);
    expect(goneOf(messages)).toEqual([]);
    const { readers } = await writerStats(writer);
    expect(readers.map((r) => r.pid)).toContain(reader.pid);
  });

  it.skipIf(!canUnsharePid)(
    'a reader in its own PID namespace and a writer outside: frames flow, kill -9 of either is seen within 1 s',
    async () => {
      // Reader inside, writer outside.
      let name = ringName();
      let writer = child(WRITER, [name, '100']);
      await nextMessage(writer, (m) => m.ready === true);
      const inside = childInPidNamespace(READER, [name, 'latest', 'handler']);
      const insideMessages = record(inside);
      await nextMessage(inside, (m) => m.ready === true);
      await new Promise((r) => setTimeout(r, 1500)); // longer than any liveness check
      expect(framesOf(insideMessages).length).toBeGreaterThan(50);
      expect(goneOf(insideMessages)).toEqual([]);
      // its pid is another namespace's: only the lock counts
      expect((await writerStats(writer)).readers).toHaveLength(1);
      inside.kill('SIGKILL');
      let t0 = Date.now();
      for (;;) {
        if ((await writerStats(writer)).readers.length === 0) break;
        if (Date.now() - t0 > 3000) throw new Error('the writer did not notice the dead reader');
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(Date.now() - t0).toBeLessThan(1000);

      // Writer inside, reader outside.
      name = ringName();
      writer = childInPidNamespace(WRITER, [name, '100']);
      await nextMessage(writer, (m) => m.ready === true);
      const outside = child(READER, [name, 'latest', 'handler']);
      const outsideMessages = record(outside);
      await nextMessage(outside, (m) => m.ready === true);
      await new Promise((r) => setTimeout(r, 1500));
      expect(framesOf(outsideMessages).length).toBeGreaterThan(50);
      expect(goneOf(outsideMessages)).toEqual([]);
      writer.kill('SIGKILL');
      t0 = Date.now();
      await until('goneOf(outsideMessages).length > 0', () => goneOf(outsideMessages).length > 0, 3000);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(String(goneOf(outsideMessages)[0]!.gone)).toMatch(/died/);
    },
  );
});

describe('a stopped process stops nobody', () => {
  it(
    'SIGSTOP of a reader 100 times at random moments: ' + 'the writer and the other reader keep their frame rate',
    async () => {
      const name = ringName();
      const writer = child(WRITER, [name, '100']);
      await nextMessage(writer, (m) => m.ready === true);
      const stopped = child(READER, [name, 'latest', 'handler', '2']);
      const steady = child(READER, [name, 'latest', 'handler']);
      const steadyMessages = record(steady);
      await Promise.all([nextMessage(stopped, (m) => m.ready === true), nextMessage(steady, (m) => m.ready === true)]);
      await new Promise((r) => setTimeout(r, 500));

      const rates = async (during: () => Promise<void>) => {
        const w0 = (await writerStats(writer)).written;
        const r0 = framesOf(steadyMessages).length;
        const t0 = performance.now();
        await during();
        const seconds = (performance.now() - t0) / 1000;
        return {
          writer: ((await writerStats(writer)).written - w0) / seconds,
          reader: (framesOf(steadyMessages).length - r0) / seconds,
        };
      };
      const calm = await rates(() => new Promise((r) => setTimeout(r, 3000)));
      const stormy = await rates(async () => {
        for (let i = 0; i < 100; i++) {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
          stopped.kill('SIGSTOP');
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 30));
          stopped.kill('SIGCONT');
        }
      });
      expect(calm.writer).toBeGreaterThan(80);
      expect(stormy.writer).toBeGreaterThan(calm.writer * 0.9);
      expect(stormy.reader).toBeGreaterThan(calm.reader * 0.9);
      expect(goneOf(steadyMessages)).toEqual([]);
      expect((await writerStats(writer)).readers).toHaveLength(2); // the stopped one was never judged dead
    },
  );
});

describe('termination signals and a blocked pull()', () => {
  it('SIGTERM ends a process blocked in pull(Infinity), and its rings are closed', async () => {
    const s = new FrameRingServer({ name: ringName(), width: 8, height: 8 });
    cleanups.push(() => s.close());
    const c = child(PULL_FOREVER, [s.name, 'plain']);
    await nextMessage(c, (m) => m.ready === true);
    await until('s.stats().readers.length === 1', () => s.stats().readers.length === 1, 10_000);
    await new Promise((r) => setTimeout(r, 200)); // well inside pull() by now
    const t0 = Date.now();
    c.kill('SIGTERM');
    const how = await exited(c);
    expect(how.signal).toBe('SIGTERM'); // it died of the signal, as it would have without pull()
    expect(Date.now() - t0).toBeLessThan(1000);
    await until('s.stats().readers.length === 0', () => s.stats().readers.length === 0, 2000);
  });

  it('an application that handles SIGTERM itself gets its handler run after pull() ends with INTERRUPTED', async () => {
    const s = new FrameRingServer({ name: ringName(), width: 8, height: 8 });
    cleanups.push(() => s.close());
    const c = child(PULL_FOREVER, [s.name, 'own-handler']);
    const messages = record(c);
    await nextMessage(c, (m) => m.ready === true);
    await new Promise((r) => setTimeout(r, 200));
    c.kill('SIGTERM');
    const how = await exited(c);
    expect(how.code).toBe(0);
    expect(messages).toContainEqual({ pullError: 'INTERRUPTED' });
    expect(messages).toContainEqual({ handled: true });
  });
});
