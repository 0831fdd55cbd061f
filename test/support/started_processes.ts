/** What the process tests share: processes they started are stopped after each test, and whether a pid exists. */
import { afterEach } from 'vitest';
import type { MessageProcess } from '../../src/process/index.js';

/** Registers the afterEach that stops every tracked process; wrap each new process in the returned `track`. */
export function trackProcesses(): <T extends MessageProcess>(p: T) => T {
  const started: MessageProcess[] = [];
  afterEach(async () => {
    await Promise.all(
      started.splice(0).map((p) => (p.state === 'new' || p.state === 'exited' ? undefined : p.stop(5000))),
    );
  });
  return (p) => {
    started.push(p);
    return p;
  };
}

/** True while a process with this pid exists (a zombie counts: see test_helpers.isAlive for the stricter check). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
