/**
 * `--burn N`: N busy processes beside the latency runs, so that the reader competes for a core as it does under
 * load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { onTeardown } from './teardown.js';

/** Starts n burners; the returned function stops them (by their own pids) and is also run at teardown. */
export function startCpuBurners(n: number): () => void {
  const burners: ChildProcess[] = Array.from({ length: n }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  return onTeardown(() => {
    for (const b of burners) if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL');
  });
}
