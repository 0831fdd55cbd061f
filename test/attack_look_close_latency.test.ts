// Attack: WAIT-8 says close() wakes every sleeping reader at once. A doorbell reader whose close ring arrives while
// it is delivering frames drains that ring, then sleeps without looking at `closed` (Next() arms and sleeps): the end
// then waits for the liveness look, which defers once more (WAIT-10): ~500 ms, against ~1 ms on the waiter thread.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameRingClient, FrameRingServer } from '../src/shm/index.js';
import { removeSegment } from '../src/shm/internal.js';
import { until } from './support/wait.js';

let seq = 0;
describe('the end after a writer close() that follows frames', () => {
  for (const wakeup of ['thread', 'doorbell'] as const)
    it(`${wakeup}: 'gone' comes within 100 ms of close() (median of 10 rounds)`, async () => {
      const delays: number[] = [];
      for (let round = 0; round < 10; round++) {
        const name = `t-alc-${process.pid}-${++seq}`;
        const server = new FrameRingServer({ name, width: 32, height: 24, slots: 8 });
        const client = FrameRingClient.open(name, { policy: 'every', wakeup });
        let got = 0;
        let goneAt = 0;
        client.on('gone', () => (goneAt = performance.now()));
        client.onFrame(() => void got++);
        await new Promise((r) => setTimeout(r, 50));
        const px = new Uint8Array(server.frameBytes);
        for (let i = 0; i < 4; i++) server.write(px);
        const closedAt = performance.now();
        server.close();
        await until('gone', () => goneAt, 3000);
        client.close();
        removeSegment(`framering-${name}`);
        expect(existsSync(`/dev/shm/framering-${name}`)).toBe(false);
        expect(got).toBe(4);
        delays.push(goneAt - closedAt);
      }
      delays.sort((a, b) => a - b);
      console.log(`[attack] ${wakeup}: close() -> gone ms: ${delays.map((d) => d.toFixed(0)).join(' ')}`);
      expect(delays[5]).toBeLessThan(100);
    });
});
