// The rings a backend owned outlive it when it dies without running its exit handlers (kill -9, OOM killer): the
// frontend that saw it exit is the one place that knows whose they were, so it removes them there and then.
import { listSegments } from '../shm/index.js';
import { removeSegment } from '../shm/internal.js';

/**
 * Removes the segments whose writer is one of `pids` and is no longer alive, and returns their ring names.
 * Called after the child's exit was reaped, so a dead writer pid cannot be a live process's (no reuse in between).
 */
export function removeRingsOfDeadWriters(pids: ReadonlySet<number>): string[] {
  const removed: string[] = [];
  for (const s of listSegments()) {
    if (!s.valid || !pids.has(s.writerPid) || s.writerAlive) continue;
    try {
      if (removeSegment(s.segment).removed) removed.push(s.name);
    } catch {
      // Someone else (the cleanup tool, a reader) removed it first: it is gone either way.
    }
  }
  return removed;
}
