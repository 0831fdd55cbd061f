/**
 * Once around the whole suite: the suite must leave no framering segment in /dev/shm. A segment counts as ours
 * when it appeared during the run and its writer is dead or was one of our descendants; segments of unrelated
 * processes running beside the suite are left out.
 */
import { readFileSync } from 'node:fs';
import { listSegments } from '../src/shm/index.js';

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

function isOurs(pid: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; p = parentOf(p), hops++) if (p === process.pid) return true;
  return false;
}

let before = new Set<string>();

export function setup(): void {
  before = new Set(listSegments().map((s) => s.segment));
}

export async function teardown(): Promise<void> {
  const leaked = () => listSegments().filter((s) => !before.has(s.segment) && (s.stale || isOurs(s.writerPid)));
  // Children killed at the very end may still be exiting.
  for (let i = 0; i < 30 && leaked().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  const left = leaked();
  if (left.length > 0)
    throw new Error(
      `the test suite left ${left.length} framering segment(s) in /dev/shm: ` +
        left.map((s) => `${s.segment} (writer ${s.writerPid}, ${s.writerAlive ? 'alive' : 'dead'})`).join(', '),
    );
}
