/**
 * What the ring tests share: things to undo after each test (children killed first, then cleanups in reverse
 * order: readers before the rings they read). Waiting for a condition is `until` in ./wait.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
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
