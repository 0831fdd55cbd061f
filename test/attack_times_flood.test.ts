// Attack: a times fd that never runs dry (a writer that floods it) must not starve the frames the pump moves.
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameRingServer } from '../src/shm/index.js';
import { closeFd, createPipe, RingPump } from '../src/shm/internal.js';

describe('attack: flooded frame-time channel', () => {
  it('20 frames pass within 5 s while three writers flood the times fd', async () => {
    const name = `atk-flood-${process.pid}`;
    const server = new FrameRingServer({ name, width: 2, height: 2, pixelFormat: 'gray8', slots: 16 });
    const frames = createPipe();
    const times = createPipe();
    const floods = [0, 1, 2].map(() => spawn('yes', ['frame:0 pts:1'], { stdio: ['ignore', times.writeFd, 'ignore'] }));
    closeFd(times.writeFd);
    const pump = new RingPump(server, frames.readFd, { timesFd: times.readFd });
    try {
      pump.start();
      const deadline = Date.now() + 5000;
      for (let n = 0; n < 20 && Date.now() < deadline; n++) {
        writeSync(frames.writeFd, new Uint8Array(4).fill(n));
        while (pump.stats().frames < n + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      }
      expect(pump.stats().frames).toBe(20);
    } finally {
      for (const f of floods) f.kill('SIGKILL');
      closeFd(frames.writeFd);
      pump.stop();
      server.close();
    }
  }, 30_000);
});
