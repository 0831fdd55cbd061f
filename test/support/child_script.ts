/** Forks a TypeScript script as a real child process with IPC, and waits for its messages. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** quiet: the child's stderr is dropped (for children that fail on purpose). */
export function forkScript(url: URL, args: string[] = [], opts: { quiet?: boolean } = {}): ChildProcess {
  const stderr = opts.quiet ? 'ignore' : 'inherit';
  return fork(fileURLToPath(url), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', stderr, 'ipc'] });
}

/** Resolves with the first message of the child that matches, rejects if the child exits first or time runs out. */
export function nextMessage<T = Record<string, unknown>>(
  child: ChildProcess,
  match: (m: T) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`no matching message from child ${child.pid} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (m: T) => {
      if (match(m)) done(null, m);
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`child ${child.pid} exited (code ${code}, signal ${signal}) before the expected message`));
    function done(err: Error | null, m?: T) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m as T);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
