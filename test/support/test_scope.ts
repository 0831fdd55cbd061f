/**
 * What the ring tests share: things to undo after each test (children killed first, then cleanups in reverse
 * order: readers before the rings they read). Waiting for a condition is `until` in ./wait.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, expect } from 'vitest';
import { removeSegment } from '../../src/shm/internal.js';
import { exited } from './child_script.js';

/** Registers the afterEach that empties both lists; push onto them in the test. */
export function trackCleanups(): { cleanups: Array<() => void>; children: ChildProcess[] } {
  const cleanups: Array<() => void> = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill('SIGKILL');
      await exited(c);
    }
    for (const f of cleanups.splice(0).reverse()) f();
  });
  return { cleanups, children };
}

/**
 * Fresh ring names (`<prefix>-<pid>-<n>`) whose segments are removed after the test, which then checks that none is
 * left in /dev/shm: for tests whose writers are children killed with -9.
 */
export function scratchRingNames(prefix: string, cleanups: Array<() => void>): () => string {
  let seq = 0;
  return () => {
    const name = `${prefix}-${process.pid}-${++seq}`;
    cleanups.push(() => {
      removeSegment(`framering-${name}`);
      expect(existsSync(`/dev/shm/framering-${name}`)).toBe(false);
    });
    return name;
  };
}
