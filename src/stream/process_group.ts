// ffmpeg is spawned detached: it leads a process group of its own, holding exactly what we started (ffmpeg, or a
// wrapper script and everything it runs). Signals go to that whole group, so a wrapper cannot leave a decoder behind.
import type { ChildProcess } from 'node:child_process';

/** Sends `signal` to the child's process group; to the child alone if the group is gone or was never made. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined) {
    try {
      process.kill(-child.pid, signal);
      return;
    } catch {
      // ESRCH: no member left in the group; the child itself may still be unreaped, handled below.
    }
  }
  try {
    child.kill(signal);
  } catch {
    // Already gone: nothing to signal.
  }
}
