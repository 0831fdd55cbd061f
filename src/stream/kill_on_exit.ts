// ffmpeg children still running when this process goes (without stop()) are killed, so none outlives us.
// ffmpeg runs in its own process group (so a terminal's Ctrl-C reaches only us, and the application stops it in
// order): nothing else would end it when we die, and a stalled camera's ffmpeg writes nothing that could fail on a
// closed pipe. So the kill rides on the rings' exit hook, which covers every way out that can be caught: a normal
// exit, process.exit(), an uncaught exception, and SIGINT/SIGTERM/SIGHUP that the application does not handle
// (when it handles them, it decides: it stops the streams, or exits, and the 'exit' path runs).
// kill -9 cannot be caught: a streaming ffmpeg then dies of the closed pipe on its next write.
import type { ChildProcess } from 'node:child_process';
import { closeOnExit } from '../shm/internal.js';
import { signalGroup } from './process_group.js';

const children = new Set<ChildProcess>();

const killAll = {
  closeForExit(): void {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) signalGroup(c, 'SIGKILL');
    }
    children.clear();
  },
};

export const killOnExit = {
  add(child: ChildProcess): void {
    // Registered again on each add: idempotent, and it re-arms after an exit path already ran the hook.
    closeOnExit(killAll);
    children.add(child);
  },
  delete(child: ChildProcess): void {
    children.delete(child);
  },
};
