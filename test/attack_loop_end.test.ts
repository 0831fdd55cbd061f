// Attack: frames committed before the writer's close() must reach an `every` loop (PROTOCOL WAIT-10), also when the
// client's liveness look (a native timer, 250 ms after the last frame) happens to run before the doorbell is handled.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FrameRingClient, FrameRingServer } from '../src/shm/index.js';

let seq = 0;

describe('attack: an every loop and the writer closing', () => {
  it('a loop sees the frames written just before close(), whatever the liveness timer does', async () => {
    const lost: number[] = [];
    for (let round = 0; round < 5; round++) {
      const server = new FrameRingServer({ name: `atk-end-${process.pid}-${++seq}`, width: 4, height: 4, slots: 8 });
      const client = FrameRingClient.open(server.info(), { policy: 'every' });
      // Due together with the client's liveness look (250 ms after the loop starts, no frame having come): timers due
      // at the same time run before the poll phase, where the doorbell of these frames would be handled.
      setTimeout(() => {
        for (let i = 0; i < 3; i++) server.write(new Uint8Array(server.frameBytes).fill(i));
        server.close();
      }, 250);
      let seen = 0;
      for await (const frame of client.frames()) {
        void frame;
        seen++;
      }
      client.close();
      if (seen !== 3) lost.push(3 - seen);
    }
    expect(lost).toEqual([]);
  });

  it('another process writes and closes while the reader is busy: the frames still reach the loop', async () => {
    const name = `atk-end-x-${process.pid}-${++seq}`;
    const child = fork(fileURLToPath(new URL('./fixtures/attack/burst_writer.ts', import.meta.url)), [name], {
      execArgv: ['--import', 'tsx'],
    });
    try {
      await new Promise((r) => child.once('message', r));
      const client = FrameRingClient.open(name, { policy: 'every' });
      const loop = (async () => {
        let seen = 0;
        for await (const frame of client.frames()) {
          void frame;
          seen++;
        }
        return seen;
      })();
      await new Promise((r) => setTimeout(r, 20)); // the loop waits for its first frame
      const closed = new Promise((r) => child.once('message', r));
      child.send('go');
      // The reader's event loop is busy (a long synchronous analysis, here in a setImmediate callback) while the writer
      // writes 3 frames and closes; the next loop iteration runs timers (the liveness check) before I/O (the doorbell).
      await new Promise((r) => setImmediate(r));
      const until = Date.now() + 600;
      while (Date.now() < until);
      await closed;
      const seen = await loop;
      client.close();
      expect(seen).toBe(3);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
