// Attack: readers slower than the look's period. A handler that blocks the loop for 1 s, an async handler slower
// than two periods when the writer closes (WAIT-10 order), a loop whose consumer stops asking for 2 s.
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FrameRingClient, FrameRingServer } from '../src/shm/index.js';
import { forkScript, nextMessage } from './support/child_script.js';
import { scratchRingNames, trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';

const WRITER = new URL('./fixtures/shm/paced_writer_child.ts', import.meta.url);
const { cleanups, children } = trackCleanups();
const ringName = scratchRingNames('t-als', cleanups);
function child(args: string[]): ChildProcess {
  const c = forkScript(WRITER, args);
  children.push(c);
  return c;
}
const modes = ['doorbell', 'thread'] as const;

describe('readers slower than the look', () => {
  for (const wakeup of modes)
    it(`${wakeup}: a handler blocking the loop 1 s (3 times) does not make a live writer gone`, async () => {
      const name = ringName();
      const writer = child([name, '50']);
      await nextMessage(writer, (m) => m.ready === true);
      const client = FrameRingClient.open(name, { policy: 'every', wakeup });
      cleanups.push(() => client.close());
      let frames = 0;
      let gone: unknown = null;
      client.on('gone', (e) => (gone = e));
      client.onFrame(() => {
        frames++;
        if (frames % 30 === 10) {
          const end = Date.now() + 1000;
          while (Date.now() < end);
        }
      });
      await until('90 frames', () => frames >= 90, 15_000);
      console.log(`[attack] ${wakeup}: blocking handler, looks ${client.stats().livenessLooks}, gone ${gone}`);
      expect(gone).toBe(null);
    });

  for (const wakeup of modes)
    it(`${wakeup}: an async onFrame slower than two looks gets every frame before 'gone' (WAIT-10)`, async () => {
      const name = ringName();
      const server = new FrameRingServer({ name, width: 32, height: 24, slots: 8 });
      const client = FrameRingClient.open(name, { policy: 'every', wakeup });
      cleanups.push(() => client.close());
      const events: string[] = [];
      client.on('gone', () => events.push('gone'));
      client.onFrame(async (f) => {
        events.push(`f${f.meta.frameNumber}`);
        await new Promise((r) => setTimeout(r, 600));
      });
      const px = new Uint8Array(server.frameBytes);
      for (let i = 0; i < 4; i++) server.write(px);
      server.close();
      await until('4 frames and gone', () => events.length >= 5, 6000);
      await new Promise((r) => setTimeout(r, 700));
      console.log(`[attack] ${wakeup}: async handler events ${events.join(' ')}`);
      expect(events.filter((e) => e !== 'gone')).toHaveLength(4);
      expect(events.at(-1)).toBe('gone');
    });

  for (const wakeup of modes)
    it(`${wakeup}: a frames() consumer pausing 2 s: no end while the writer lives, then every frame`, async () => {
      const name = ringName();
      const writer = child([name, '50']);
      await nextMessage(writer, (m) => m.ready === true);
      const client = FrameRingClient.open(name, { policy: 'every', wakeup });
      cleanups.push(() => client.close());
      let n = 0;
      let first = -1;
      let last = -1;
      const result = (async () => {
        try {
          for await (const f of client.frames()) {
            if (first < 0) first = f.meta.frameNumber;
            last = f.meta.frameNumber;
            if (++n === 5) await new Promise((r) => setTimeout(r, 2000));
          }
          return 'quiet';
        } catch (e) {
          return e;
        }
      })();
      await until('10 frames', () => n >= 10, 10_000);
      writer.send({ stats: true });
      const { written } = await nextMessage<{ written: number }>(writer, (m) => 'written' in m);
      writer.send({ close: true });
      const end = await Promise.race([result, new Promise((r) => setTimeout(() => r('hang'), 3000))]);
      console.log(
        `[attack] ${wakeup}: paused loop, end ${String(end)}, frames ${first}..${last} (writer had ${written})`,
      );
      expect(end).toBe('quiet');
      expect(last + 1).toBeGreaterThanOrEqual(written); // frame numbers start at 0
    });
});
