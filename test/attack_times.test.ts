// Attack: hostile frame-time lines on the pump's times fd (real pipes, real ring, real child processes).
import { writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameRingClient, FrameRingServer } from '../src/shm/index.js';
import { closeFd, createPipe, RingPump, type PumpEnd } from '../src/shm/internal.js';

let seq = 0;
const ringName = () => `atk-times-${process.pid}-${++seq}`;

describe('attack: frame-time channel', () => {
  it('one stray line for a far-future frame does not cost the following frames their times', async () => {
    const server = new FrameRingServer({ name: ringName(), width: 2, height: 2, pixelFormat: 'gray8', slots: 16 });
    const client = FrameRingClient.open(server.info(), { policy: 'every' });
    const frames = createPipe();
    const times = createPipe();
    const pump = new RingPump(server, frames.readFd, { timesFd: times.readFd });
    const ended = new Promise<PumpEnd>((resolve) => pump.on('end', resolve));
    try {
      pump.start();
      const frame = (n: number) => writeSync(frames.writeFd, new Uint8Array(4).fill(n));
      const line = (text: string) => writeSync(times.writeFd, text);
      line('frame:0 pts:1000\n');
      frame(0);
      line('frame:99999999 pts:1\n'); // a stray (or garbled) frame number
      line('frame:1 pts:2000\n');
      frame(1);
      line('frame:2 pts:3000\n');
      frame(2);
      line('frame:3 pts:4000\n');
      frame(3);
      closeFd(frames.writeFd);
      closeFd(times.writeFd);
      expect((await ended).reason).toBe('eof');
      const seen: Array<[number, number | null]> = [];
      for (let f = client.pull(1000); f; f = client.pull(50)) {
        seen.push([f.meta.frameNumber, f.meta.ptsUs]);
        f.release();
      }
      // Frame 1's own line is there; at worst frame 1 loses its time, frames 2 and 3 must not.
      expect(seen.slice(2)).toEqual([
        [2, 3000],
        [3, 4000],
      ]);
    } finally {
      pump.stop();
      client.close();
      server.close();
    }
  });
});
