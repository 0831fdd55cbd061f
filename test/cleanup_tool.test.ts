// The cleanup tool, run as a user runs it, against real live and dead rings.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameRingServer } from '../src/shm/index.js';
import { exited, forkScript, nextMessage } from './support/child_script.js';

const run = promisify(execFile);
const TOOL = fileURLToPath(new URL('../scripts/cleanup.ts', import.meta.url));
const WRITER = new URL('./fixtures/shm/ring_writer_child.ts', import.meta.url);
const shmPath = (name: string) => `/dev/shm/framering-${name}`;

async function cleanup(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', TOOL, ...args], { timeout: 30_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const open: FrameRingServer[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('framering-cleanup', () => {
  it(
    'lists rings with owner and state, removes dead ' + 'owners’ rings only, and live ones only with --all --yes',
    async () => {
      const live = new FrameRingServer({ name: `t-clean-live-${process.pid}`, width: 16, height: 16 });
      open.push(live);
      const deadName = `t-clean-dead-${process.pid}`;
      const writer = forkScript(WRITER, [deadName, '16', '16', '0']);
      const { pid } = await nextMessage<{ pid: number }>(writer, (m) => (m as { ready?: boolean }).ready === true);
      writer.kill('SIGKILL');
      await exited(writer);

      const dry = await cleanup('--dry-run');
      expect(dry.code).toBe(0);
      expect(dry.out).toMatch(new RegExp(`remove\\s+framering-${deadName}\\s.*owner pid ${pid} dead`));
      expect(dry.out).toMatch(
        new RegExp(`keep\\s+framering-${live.name}\\s.*16x16 rgb24 x8, owner pid ${process.pid} alive`),
      );
      expect(existsSync(shmPath(deadName))).toBe(true);

      const normal = await cleanup();
      expect(normal.code).toBe(0);
      expect(existsSync(shmPath(deadName))).toBe(false);
      expect(existsSync(shmPath(live.name))).toBe(true);

      const refused = await cleanup('--all', 't-clean-*'); // no terminal to confirm on: refuses
      expect(refused.code).toBe(1);
      expect(refused.out).toMatch(/not removing live rings/);
      expect(existsSync(shmPath(live.name))).toBe(true);

      const forced = await cleanup('--all', '--yes', `t-clean-live-${process.pid}`);
      expect(forced.code).toBe(0);
      expect(existsSync(shmPath(live.name))).toBe(false);
    },
  );

  it('rejects unknown options with usage', async () => {
    const r = await cleanup('--everything');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/unknown option '--everything'[\s\S]*usage:/);
  });
});
