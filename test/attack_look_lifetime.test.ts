// Attack on the native liveness look's lifetime: thousands of clients opened and closed (from handlers too), clients
// dropped and collected, Workers terminated with the look pending or frames arriving.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FrameRingClient, FrameRingServer } from '../src/shm/index.js';
import { exited, nextMessage } from './support/child_script.js';
import { scratchRingNames, trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';

const { cleanups, children } = trackCleanups();
const ringName = scratchRingNames('t-all', cleanups);
function forkGc(script: string, args: string[]) {
  const c = fork(fileURLToPath(new URL(script, import.meta.url)), args, {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(c);
  return c;
}

describe('liveness look lifetime', () => {
  it('2,000 open/onFrame/close cycles, handler and gone closes, drops + gc: no fd, RSS or crash', async () => {
    const name = ringName();
    const c = forkGc('./fixtures/attack/look_lifetime_child.ts', [name, '2000']);
    const m = await nextMessage<Record<string, number>>(c, (x) => 'fds0' in x, 120_000);
    const ex = await exited(c);
    const rssMb = (m.rss1 - m.rss0) / 2 ** 20;
    console.log(
      `[attack] lifetime: fds ${m.fds0} -> ${m.fds1}, rss +${rssMb.toFixed(1)} MB, ` +
        `dropped ${m.dropped} holding ${m.droppedFds} fds until closed`,
    );
    expect(ex).toEqual({ code: 0, signal: null });
    expect(m.fds1 - m.fds0).toBeLessThanOrEqual(2);
    expect(rssMb).toBeLessThan(8);
  }, 150_000);

  it('a closed client looks no more (livenessLooks frozen, read through a second client)', async () => {
    const name = ringName();
    const server = new FrameRingServer({ name, width: 32, height: 24, slots: 4 });
    cleanups.push(() => server.close());
    for (const wakeup of ['doorbell', 'thread'] as const) {
      const c = FrameRingClient.open(name, { policy: 'every', wakeup });
      let n = 0;
      c.onFrame(() => void n++);
      server.write(new Uint8Array(server.frameBytes));
      await until('frame', () => n > 0, 2000);
      await new Promise((r) => setTimeout(r, 600));
      const looks = c.stats().livenessLooks;
      expect(looks).toBeGreaterThanOrEqual(1);
      expect(looks).toBeLessThanOrEqual(3);
      c.close();
      // stats() throws after close: the look must not run; a crash or a uv assertion would end the process here
      await new Promise((r) => setTimeout(r, 600));
      expect(() => c.stats()).toThrow();
    }
  });

  it('Workers terminated with the look pending or frames arriving: no crash', async () => {
    const name = ringName();
    const c = forkGc('./fixtures/attack/look_worker_child.ts', [name, '24']);
    const m = await nextMessage<Record<string, number>>(c, (x) => 'rounds' in x, 120_000);
    expect(m.rounds).toBe(24);
    expect(await exited(c)).toEqual({ code: 0, signal: null });
  }, 150_000);
});
