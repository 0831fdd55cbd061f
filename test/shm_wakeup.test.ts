// Issue 13 §1: a sleeping reader's event loop is woken by the writer in one hop (its doorbell socket), and falls back
// to the waiter thread where the writer cannot reach the doorbell (another network namespace).
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FrameRingClient, FrameRingServer } from '../src/shm/index.js';
import { addon } from '../src/shm/native_addon.js';
import { forkScript, nextMessage } from './support/child_script.js';
import { trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';
import { fillFrame } from './fixtures/shm/frame_pattern.js';

const READER = new URL('./fixtures/shm/ring_reader_child.ts', import.meta.url);
const HOPS_CHILD = new URL('./fixtures/shm/doorbell_hops_child.ts', import.meta.url);
const { cleanups, children } = trackCleanups();
let seq = 0;
const ringName = () => `t-wake-${process.pid}-${++seq}`;
const canUnshareNet = spawnSync('unshare', ['--net', 'true']).status === 0;

function server(): FrameRingServer {
  const s = new FrameRingServer({ name: ringName(), width: 32, height: 24, slots: 4 });
  cleanups.push(() => s.close());
  return s;
}

async function flow(s: FrameRingServer, reader: ChildProcess, frames: number): Promise<Array<Record<string, unknown>>> {
  const got: Array<Record<string, unknown>> = [];
  reader.on('message', (m: Record<string, unknown>) => 'frame' in m && got.push(m));
  const pixels = new Uint8Array(s.frameBytes);
  for (let n = 1; n <= frames; n++) {
    fillFrame(pixels, n);
    s.write(pixels);
    const before = got.length;
    // each frame reaches the sleeping reader on its own
    await until('got.length > before', () => got.length > before, 2000);
  }
  return got;
}

describe('reader wakeups', () => {
  it('a sleeping reader in another process is woken through its doorbell, frame after frame', async () => {
    const s = server();
    const reader = forkScript(READER, [s.name, 'every', 'handler']);
    children.push(reader);
    await nextMessage(reader, (m) => m.ready === true);
    reader.send({ wakeup: true });
    expect(await nextMessage(reader, (m) => 'wakeup' in m)).toEqual({ wakeup: 'doorbell' });
    const got = await flow(s, reader, 20);
    expect(got.map((m) => m.frame)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('an async handler is never entered twice at once, whatever rings arrive while it runs', async () => {
    const s = server();
    const c = FrameRingClient.open(s.name, { policy: 'every' });
    cleanups.push(() => c.close());
    let inFlight = 0;
    let most = 0;
    let handled = 0;
    let heldMost = 0;
    c.onFrame(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      heldMost = Math.max(heldMost, c.stats().held);
      await new Promise((r) => setTimeout(r, 3));
      inFlight--;
      handled++;
    });
    expect(c.wakeup).toBe('doorbell');
    const pixels = new Uint8Array(s.frameBytes);
    // Writes now in bursts, now one at a time, so that takes succeed just after arming and rings come mid-delivery.
    const end = Date.now() + 1500;
    while (Date.now() < end) {
      for (let i = 0; i < 1 + (handled % 3); i++) s.write(pixels);
      await new Promise((r) => setTimeout(r, Math.random() * 4));
    }
    await until('inFlight === 0', () => inFlight === 0, 2000);
    expect(handled).toBeGreaterThan(50);
    expect(most).toBe(1);
    expect(heldMost).toBeLessThanOrEqual(1);
  });

  it('wakeup: thread keeps the futex waiter thread', async () => {
    const s = server();
    const c = FrameRingClient.open(s.name, { policy: 'every', wakeup: 'thread' });
    cleanups.push(() => c.close());
    const frames: number[] = [];
    c.onFrame((f) => void frames.push(f.meta.seq));
    expect(c.wakeup).toBe('thread');
    const pixels = new Uint8Array(s.frameBytes);
    for (let i = 0; i < 5; i++) {
      s.write(pixels);
      await until('frames.length === i + 1', () => frames.length === i + 1, 2000);
    }
  });

  it.skipIf(!canUnshareNet)(
    'a reader in another network namespace (doorbell unreachable) falls back to the waiter thread',
    async () => {
      const s = server();
      const reader = spawn(
        'unshare',
        ['--net', process.execPath, '--import', 'tsx', fileURLToPath(READER), s.name, 'every', 'handler'],
        { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
      );
      children.push(reader);
      await nextMessage(reader, (m) => m.ready === true);
      const got = await flow(s, reader, 10); // the first ring is refused; its timer switches within 250 ms
      expect(got.map((m) => m.frame)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      reader.send({ wakeup: true });
      expect(await nextMessage(reader, (m) => 'wakeup' in m)).toEqual({ wakeup: 'thread' });
    },
  );

  it(
    'FRAMERING_HOPS=1 stamps each hop of a doorbell ' + 'delivery in trip order; without it there are no stamps',
    async () => {
      // This process loaded the addon without the switch: nothing is stamped, nothing to read.
      expect((addon.RingClient as unknown as { hopStamps(): unknown }).hopStamps()).toBeNull();
      const child = fork(fileURLToPath(HOPS_CHILD), [ringName()], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, FRAMERING_HOPS: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      const { frames } = await nextMessage<{
        frames: Array<{ stamps: number[] | null; entryNs: number; writtenNs: number }>;
      }>(child, (m) => 'frames' in m);
      expect(frames.length).toBe(10);
      for (const f of frames) {
        const [send, poll, drained, call] = f.stamps!;
        // written → ring sent → poll callback → recv done → MakeCallback → handler, all in this delivery
        expect(send).toBeGreaterThanOrEqual(f.writtenNs);
        expect(poll).toBeGreaterThanOrEqual(send);
        expect(drained).toBeGreaterThanOrEqual(poll);
        expect(call).toBeGreaterThanOrEqual(drained);
        expect(f.entryNs).toBeGreaterThanOrEqual(call);
      }
    },
  );

  for (const wakeup of ['doorbell', 'thread'] as const) {
    it(`the liveness look comes one period after the last frame, not every period (${wakeup})`, async () => {
      const s = server();
      const c = FrameRingClient.open(s.name, { policy: 'every', wakeup });
      cleanups.push(() => c.close());
      let got = 0;
      c.onFrame(() => {
        got++;
      });
      const pixels = new Uint8Array(s.frameBytes);
      // 1.5 s of frames every 40 ms: each pushes the look back, so none is made (each would be a wakeup for nothing).
      const writes = setInterval(() => s.write(pixels), 40);
      await new Promise((r) => setTimeout(r, 1500));
      clearInterval(writes);
      await until('the last frame', () => got >= 30, 2000);
      expect(c.stats().livenessLooks).toBeLessThanOrEqual(1);
      // Quiet: one look per 250 ms period.
      const quietFrom = c.stats().livenessLooks;
      await new Promise((r) => setTimeout(r, 1100));
      const looks = c.stats().livenessLooks - quietFrom;
      expect(looks).toBeGreaterThanOrEqual(3);
      expect(looks).toBeLessThanOrEqual(5);
      // The looks still end the reader when the writer goes (close rings it first; the look is the fallback).
      const gone = new Promise((resolve) => c.once('gone', resolve));
      s.close();
      await gone;
    });
  }
});
