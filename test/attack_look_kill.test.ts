// Attack on the native liveness look (WAIT-11): a killed writer, a stopped writer, and a closed writer (WAIT-10),
// with real processes and real shared memory, in both wakeup modes.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameRingClient, FrameRingServer } from '../src/shm/index.js';
import type { RingError } from '../src/shm/ring_error.js';
import { exited, forkScript, nextMessage } from './support/child_script.js';
import { scratchRingNames, trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';

const WRITER = new URL('./fixtures/shm/paced_writer_child.ts', import.meta.url);
const { cleanups, children } = trackCleanups();
const ringName = scratchRingNames('t-alk', cleanups);
function child(args: string[]): ChildProcess {
  const c = forkScript(WRITER, args);
  children.push(c);
  return c;
}
const modes = ['doorbell', 'thread'] as const;
const ways = ['onFrame', 'frames'] as const;

describe('liveness look: a writer killed while frames flow every 20 ms', () => {
  for (const wakeup of modes)
    for (const way of ways)
      it(`${wakeup} / ${way}: WRITER_GONE within 600 ms of SIGKILL`, async () => {
        const name = ringName();
        const writer = child([name, '50']);
        await nextMessage(writer, (m) => m.ready === true);
        const client = FrameRingClient.open(name, { policy: 'every', wakeup });
        cleanups.push(() => client.close());
        let frames = 0;
        let goneAt = 0;
        let goneErr: unknown = null;
        client.on('gone', (e) => {
          goneAt ||= performance.now();
          goneErr ??= e;
        });
        const ac = new AbortController();
        let loopEnd: Promise<unknown> = Promise.resolve();
        if (way === 'onFrame') client.onFrame(() => void frames++);
        else
          loopEnd = (async () => {
            try {
              for await (const _ of client.frames({ signal: ac.signal })) frames++;
              return 'quiet end';
            } catch (e) {
              goneAt ||= performance.now();
              return e;
            }
          })();
        await until('frames flow', () => frames >= 20, 5000);
        await until('1 s more of frames', () => frames >= 70, 5000);
        const looksWhileFlowing = client.stats().livenessLooks;
        const killedAt = performance.now();
        writer.kill('SIGKILL');
        await exited(writer);
        await until('gone reported', () => goneAt > 0, 3000);
        const delay = goneAt - killedAt;
        const ended = await Promise.race([loopEnd, new Promise((r) => setTimeout(() => r('hang'), 2000))]);
        console.log(
          `[attack] ${wakeup}/${way}: gone ${delay.toFixed(0)} ms after SIGKILL, frames ${frames}, ` +
            `looks while flowing ${looksWhileFlowing}`,
        );
        expect(goneErr === null || (goneErr as RingError).code === 'WRITER_GONE').toBe(true);
        if (way === 'frames') expect((ended as RingError).code).toBe('WRITER_GONE');
        expect(looksWhileFlowing).toBe(0); // WAIT-11: frames every 20 ms, no look
        expect(delay).toBeLessThan(600);
        ac.abort();
      });
});

describe('liveness look: a writer stopped for 2 s is not gone', () => {
  for (const wakeup of modes)
    it(`${wakeup}: no gone while SIGSTOPped, frames again after SIGCONT`, async () => {
      const name = ringName();
      const writer = child([name, '50']);
      await nextMessage(writer, (m) => m.ready === true);
      const client = FrameRingClient.open(name, { policy: 'every', wakeup });
      cleanups.push(() => client.close());
      let frames = 0;
      let gone: unknown = null;
      client.on('gone', (e) => (gone = e));
      client.onFrame(() => void frames++);
      await until('frames flow', () => frames >= 10, 5000);
      const looksBefore = client.stats().livenessLooks;
      writer.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 2000));
      const looksDuring = client.stats().livenessLooks - looksBefore;
      const atCont = frames;
      writer.kill('SIGCONT');
      await until('frames again', () => frames >= atCont + 10, 5000);
      console.log(`[attack] ${wakeup}: stopped 2 s, looks during stop ${looksDuring}, gone ${gone}`);
      expect(gone).toBe(null);
      expect(looksDuring).toBeGreaterThanOrEqual(5);
      expect(looksDuring).toBeLessThanOrEqual(10);
    });
});

describe('liveness look: close() right after N frames (WAIT-10)', () => {
  for (const wakeup of modes)
    for (const way of ways)
      it(`${wakeup} / ${way}: every frame, then a quiet end, 20 rounds`, async () => {
        for (let round = 0; round < 20; round++) {
          const name = ringName();
          const server = new FrameRingServer({ name, width: 32, height: 24, slots: 8 });
          const client = FrameRingClient.open(name, { policy: 'every', wakeup });
          const got: number[] = [];
          let gone: RingError | null = null;
          client.on('gone', (e) => (gone = e));
          let loop: Promise<unknown> = Promise.resolve('n/a');
          if (way === 'onFrame') client.onFrame((f) => void got.push(f.meta.frameNumber));
          else
            loop = (async () => {
              try {
                for await (const f of client.frames()) got.push(f.meta.frameNumber);
                return 'quiet';
              } catch (e) {
                return e;
              }
            })();
          // let the reader fall asleep first on half the rounds, so the look is pending
          if (round % 2) await new Promise((r) => setTimeout(r, 300));
          const N = 1 + (round % 8);
          const px = new Uint8Array(server.frameBytes);
          for (let i = 0; i < N; i++) server.write(px);
          server.close();
          await until('gone', () => gone, 3000);
          const ended = await loop;
          client.close();
          expect(existsSync(`/dev/shm/framering-${name}`)).toBe(false);
          expect(got.length, `round ${round}: ${got.length} of ${N}`).toBe(N);
          if (way === 'frames') expect(ended).toBe('quiet');
        }
      });
});
