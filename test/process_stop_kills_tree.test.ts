// A stop that times out kills the backend together with everything it started: the children in its process group
// and those it put into groups of their own (as a LiveStream does with ffmpeg). Real processes throughout.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { StubbornProcess } from './fixtures/process/stubborn_process.js';
import { descendantsOf } from '../src/process/process_tree.js';
import { isAlive, waitUntil } from './fixtures/process/test_helpers.js';

const leftovers: number[] = [];
const started: StubbornProcess[] = [];

function pgid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

afterEach(async () => {
  for (const p of started.splice(0)) if (p.state !== 'exited') p.kill('SIGKILL');
  for (const pid of leftovers.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

describe('stop timeout', () => {
  it('kills the backend that ignores SIGTERM and hangs in postRun, and every process it started', async () => {
    const p = new StubbornProcess({ name: 'tree-stubborn', refuseToStop: true });
    started.push(p);
    await p.start();
    const backend = p.pid!;
    expect(pgid(backend)).toBe(backend); // a process group of its own
    const { sameGroup, ownGroup } = await p.backend.startChildren();
    await waitUntil('the shell to start its sleep', () => descendantsOf(ownGroup).length === 1);
    const grandchild = descendantsOf(ownGroup)[0]!;
    const all = [backend, sameGroup, ownGroup, grandchild];
    leftovers.push(sameGroup, ownGroup, grandchild);
    expect(pgid(sameGroup)).toBe(backend);
    expect(pgid(ownGroup)).toBe(ownGroup);
    expect(pgid(grandchild)).toBe(ownGroup);

    process.kill(backend, 'SIGTERM'); // ignored
    await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(backend)).toBe(true);

    const t0 = Date.now();
    const info = await p.stop(500);
    const stopMs = Date.now() - t0;
    expect(info).toMatchObject({ requested: true, killed: true, signal: 'SIGKILL' });
    await waitUntil(
      'the backend and everything it started to be gone',
      () => all.every((pid) => !isAlive(pid)),
      3000,
      10,
    );
    const goneMs = Date.now() - t0;
    console.log(`[stop-tree] stop(500) resolved after ${stopMs} ms; backend + 3 descendants gone after ${goneMs} ms`);
  });
});
