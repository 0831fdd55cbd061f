// Teardown: worker threads terminated in the middle of their work, readers leaving their process every catchable
// way, and native objects garbage-collected without close(). The process survives and nothing is left behind.
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
// esbuild comes with tsx: workers do not inherit vitest's or tsx's module hooks, and loading tsx in each of hundreds
// of workers costs ~0.5 s apiece, so the worker is bundled into plain JavaScript once.
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { FrameRingServer } from '../src/shm/index.js';
import { exited, forkScript, nextMessage } from './support/child_script.js';
import { trackCleanups } from './support/test_scope.js';
import { until } from './support/wait.js';
import { fillFrame } from './fixtures/shm/frame_pattern.js';

const { cleanups, children } = trackCleanups();
let seq = 0;
const ringName = (what: string) => `t-td-${what}-${process.pid}-${++seq}`;
const shmFiles = (prefix: string) => readdirSync('/dev/shm').filter((f) => f.startsWith(`framering-${prefix}`));
// Inside the package (gitignored), so the bundled addon loader still finds the package root above it.
const BUNDLE_DIR = fileURLToPath(new URL('../node_modules/.cache/framering-test/', import.meta.url));

function bundleWorker(): string {
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const outfile = `${BUNDLE_DIR}teardown_worker-${process.pid}.mjs`;
  buildSync({
    entryPoints: [fileURLToPath(new URL('./fixtures/shm/teardown_worker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

describe('worker_threads terminated at random moments', () => {
  const TERMINATIONS = 500;
  const CONCURRENT = 4; // workers alive at once: 500 in well under a minute on two busy cores

  it(`${TERMINATIONS} workers with a busy reader and a ` +
    `busy pump are terminated without a crash or a leftover`, async () => {
    const workerFile = bundleWorker();
    cleanups.push(() => rmSync(workerFile, { force: true }));
    const ring = new FrameRingServer({ name: ringName('main'), width: 32, height: 24, slots: 8 });
    cleanups.push(() => ring.close());
    // The main thread writes the ring the workers read.
    const pixels = new Uint8Array(ring.frameBytes);
    let written = 0;
    const writer = setInterval(() => {
      for (let i = 0; i < 4; i++) {
        fillFrame(pixels, ++written);
        ring.write(pixels);
      }
    }, 1);
    cleanups.push(() => clearInterval(writer));
    const ownPrefix = `t-td-w-${process.pid}-`;
    const fdsBefore = readdirSync('/proc/self/fd').length;

    const errors: string[] = [];
    let started = 0;
    let early = 0;
    let flowing = 0;
    const t0 = Date.now();
    const runOne = async (i: number): Promise<void> => {
      const worker = new Worker(workerFile, { workerData: { ring: ring.name, own: `${ownPrefix}${i}` } });
      worker.on('error', (err) => errors.push(`worker ${i}: ${String(err)}`));
      // One in ten is terminated while it is still starting up and opening things; the rest once frames flow
      // through both of its readers, 0–20 ms after it says so.
      if (i % 10 === 0) {
        early++;
        await new Promise((r) => setTimeout(r, Math.random() * 30));
      } else {
        await new Promise<void>((resolve) => {
          worker.once('message', () => {
            flowing++;
            resolve();
          });
          worker.once('exit', () => resolve());
        });
        await new Promise((r) => setTimeout(r, Math.random() * 20));
      }
      await worker.terminate();
    };
    const lane = async (): Promise<void> => {
      while (started < TERMINATIONS) await runOne(started++);
    };
    await Promise.all(Array.from({ length: CONCURRENT }, lane));
    const seconds = (Date.now() - t0) / 1000;
    clearInterval(writer);
    console.log(
      `[teardown] ${TERMINATIONS} workers (${early} during start-up) terminated in ${seconds.toFixed(1)} s, ` +
        `${written} frames written meanwhile`,
    );

    expect(errors).toEqual([]);
    expect(flowing).toBe(TERMINATIONS - early);
    // Every reader entry a worker had is free again: nobody reclaims entries of a live process.
    expect(ring.stats().readers).toEqual([]);
    // Every worker's own ring is unlinked and unmapped, and no pipe end is left open.
    expect(shmFiles(ownPrefix)).toEqual([]);
    const maps = readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .filter((l) => l.includes(`framering-${ownPrefix}`));
    expect(maps).toEqual([]);
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fdsBefore + 2);
    // The ring still works for a reader of this thread.
    expect(ring.write(pixels)).toBeGreaterThan(0);
  }, 120_000);
});

describe('readers close on every catchable way out of their process', () => {
  const READER = new URL('./fixtures/shm/reader_exit_child.ts', import.meta.url);

  for (const how of ['natural', 'exit', 'throw', 'SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${how}: the reader's table entry and its held slot are given back at once`, async () => {
      const ring = new FrameRingServer({ name: ringName('exit'), width: 16, height: 8, slots: 4 });
      cleanups.push(() => ring.close());
      const signal = how.startsWith('SIG') ? (how as NodeJS.Signals) : null;
      const child = forkScript(READER, [ring.name, signal ? 'signal' : how], { quiet: how === 'throw' });
      children.push(child);
      const pixels = new Uint8Array(ring.frameBytes);
      const ready = nextMessage(child, (m) => m.ready === true);
      if (how !== 'natural') {
        await until('ring.stats().readers.length === 1', () => ring.stats().readers.length === 1, 10_000);
        ring.write(pixels);
      }
      await ready;
      expect(ring.stats().readers).toHaveLength(1);
      if (how !== 'natural') expect(ring.stats().readers[0]!.held).toBe(1);
      const gone = exited(child);
      // No write after this point: a write lets the ring reclaim a dead reader's entry by itself, which would hide a
      // reader that did not give it back.
      if (signal) child.kill(signal);
      else if (how === 'natural') child.send({ go: true });
      else ring.write(pixels); // the handler leaves on this frame
      const { code, signal: diedOf } = await gone;
      if (signal)
        expect(diedOf).toBe(signal); // framering's handler re-raises the signal after closing
      else expect(code).toBe(how === 'exit' ? 3 : how === 'throw' ? 1 : 0);
      expect(ring.stats().readers).toEqual([]);
    });
  }
});

describe('objects garbage-collected without close()', () => {
  it('leave no ArrayBuffer attached: views read as detached, ' +
    'and reopening the same ring many times is safe', async () => {
    const name = ringName('gc');
    const child = fork(fileURLToPath(new URL('./fixtures/shm/gc_drop_child.ts', import.meta.url)), [name, '60'], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const result = await nextMessage<{ rounds: number; detached: number; collected: number }>(
      child,
      () => true,
      50_000,
    );
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    // 30 rounds drop a server and a reader (2 views), 30 keep the server and drop 3 readers in turn (3 views).
    expect(result).toEqual({ rounds: 60, detached: 30 * 2 + 30 * 3, collected: 30 * 2 + 30 * 3 });
    expect(shmFiles(name)).toEqual([]);
  }, 60_000);
});
