// The pump: a real child process writes frames into a pipe; a native thread moves them into ring slots.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';
import { FrameRingClient, FrameRingServer } from '../src/shm/index.js';
import { closeFd, createPipe, RingPump, type PumpEnd } from '../src/shm/internal.js';
import { checkFrame } from './fixtures/shm/frame_pattern.js';
import { exited } from './support/child_script.js';

const SOURCE = fileURLToPath(new URL('./fixtures/shm/frame_source_child.ts', import.meta.url));
let seq = 0;
const { cleanups } = trackCleanups();

function setup(width: number, height: number, frames: number, extraBytes = 0, lingerMs = 0, slots = 64) {
  const server = new FrameRingServer({ name: `t-pump-${process.pid}-${++seq}`, width, height, slots });
  cleanups.push(() => server.close());
  const client = FrameRingClient.open(server.name, { policy: 'every' });
  cleanups.push(() => client.close());
  const pipe = createPipe({ pipeBytes: 1 << 20 });
  const source = spawn(
    process.execPath,
    ['--import', 'tsx', SOURCE, String(server.frameBytes), String(frames), String(extraBytes), String(lingerMs)],
    {
      stdio: ['ignore', pipe.writeFd, 'inherit'],
    },
  );
  closeFd(pipe.writeFd); // only the child writes: its exit is our EOF
  const pump = new RingPump(server, pipe.readFd, { slotId: 4 });
  cleanups.push(() => pump.stop());
  const ended = new Promise<PumpEnd>((resolve) => pump.on('end', resolve));
  return { server, client, pump, ended, source, pipe };
}

describe('RingPump', () => {
  it('moves every frame of a stream into the ring, whole and in order, then reports eof', async () => {
    const { client, pump, ended, source, pipe } = setup(160, 120, 40);
    expect(pipe.pipeBytes).toBeGreaterThanOrEqual(1 << 16);
    const seen: number[] = [];
    client.onFrame((f) => {
      seen.push(checkFrame(f.pixels));
      expect(f.meta).toMatchObject({ width: 160, height: 120, slotId: 4 });
    });
    pump.start();
    const end = await ended;
    await exited(source);
    expect(end).toEqual({ reason: 'eof', message: 'the stream ended', partialBytes: 0 });
    expect(pump.stats()).toMatchObject({ frames: 40, drops: 0, bytes: 40 * 160 * 120 * 3 });
    const t = Date.now();
    while (seen.length < 40 && Date.now() - t < 5000) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('a stream that ends inside a frame is a short-frame error, and the partial frame is never published', async () => {
    const { client, pump, ended } = setup(64, 48, 3, 1000);
    pump.start();
    const end = await ended;
    expect(end.reason).toBe('short-frame');
    expect(end.partialBytes).toBe(1000);
    expect(end.message).toMatch(/got 1000 of 9216 bytes/);
    const seen: number[] = [];
    for (let f = client.pull(100); f; f = client.pull(100)) {
      seen.push(checkFrame(f.pixels));
      f.release();
    }
    expect(seen).toEqual([1, 2, 3]);
  });

  it('stop() ends a pump blocked on a silent stream at once; closing the ring stops its pumps', async () => {
    const a = setup(64, 48, 1, 0, 10_000);
    a.pump.start();
    await until('a.pump.stats().frames === 1', () => a.pump.stats().frames === 1, 10_000);
    await new Promise((r) => setTimeout(r, 100)); // now blocked on a silent pipe
    const t0 = Date.now();
    a.pump.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(a.pump.stats().frames).toBe(1);
    a.source.kill();

    const b = setup(64, 48, 1, 0, 10_000);
    b.pump.start();
    await until('b.pump.stats().frames === 1', () => b.pump.stats().frames === 1, 10_000);
    b.client.close();
    b.server.close(); // joins the pump thread before unmapping: no crash
    b.source.kill();
    await exited(b.source);
  });

  it('a frame size larger than the ring’s slots is refused', () => {
    const server = new FrameRingServer({ name: `t-pump-${process.pid}-${++seq}`, width: 8, height: 8 });
    cleanups.push(() => server.close());
    const pipe = createPipe();
    cleanups.push(() => {
      closeFd(pipe.readFd);
      closeFd(pipe.writeFd);
    });
    expect(() => new RingPump(server, pipe.readFd, { frameBytes: 8 * 8 * 3 + 1 })).toThrow(
      /frameBytes must be a whole number from 1 to 192/,
    );
  });
});
