/** A separate process holding liveness-lock bytes of a file, as a ring's writer (byte 0) or reader does. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./hold_lock.py', import.meta.url));

export interface LockHolder {
  process: ChildProcess;
  /** Lets go by dying, as a killed creator would. */
  kill(): Promise<void>;
}

export async function holdLock(path: string, bytes: number[]): Promise<LockHolder> {
  const child = spawn('python3', [SCRIPT, path, ...bytes.map(String)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  if (line.toString().trim() !== 'locked') throw new Error(`hold_lock.py could not lock ${path}: ${line}`);
  return {
    process: child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
