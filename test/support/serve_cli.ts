// `framering serve` as a user runs it: the CLI in a child process (tsx, as `npm start` does), a config file, secrets
// only in its environment. Resolves once it printed the URL to open; stop() sends SIGTERM and reports how it ended.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { listSegments } from '../../src/shm/index.js';
import { exited } from './child_script.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface ServeCli {
  child: ChildProcess;
  /** The printed URL without its trailing slash: `${base}/api/stats`. */
  base: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit; the rings it made that are still in /dev/shm. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; leftInShm: string[] }>;
}

export async function startServeCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ServeCli> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/service/cli.ts', 'serve', ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const how = await exited(child);
    clearTimeout(timer);
    const leftInShm = listSegments()
      .filter((s) => s.name.startsWith(`svc${child.pid}-`))
      .map((s) => s.segment);
    return { ...how, leftInShm };
  };
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = /framering: open (http:\/\/\S+)/.exec(out);
    if (m) return { child, base: m[1]!.replace(/\/$/, ''), stdout: () => out, stderr: () => err, stop };
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > end) {
      await stop();
      throw new Error(
        `framering serve did not print its URL (exit ${child.exitCode}, ${child.signalCode}): ${err.slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
