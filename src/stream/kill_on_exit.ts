// ffmpeg children still running when this process exits (without stop()) are killed, so none outlives us.
// One process 'exit' listener for all streams, however many there are.
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
let installed = false;

export const killOnExit = {
  add(child: ChildProcess): void {
    if (!installed) {
      installed = true;
      process.on('exit', () => {
        for (const c of children) c.kill('SIGKILL');
      });
    }
    children.add(child);
  },
  delete(child: ChildProcess): void {
    children.delete(child);
  },
};
