// The backend learns of its parent's death from the kernel (PR_SET_PDEATHSIG), not only from 'disconnect', which a
// busy event loop never processes: a backend stuck in a synchronous loop still exits soon after kill -9 of its parent.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAlive, waitUntil } from './fixtures/process/test_helpers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const parentScript = fileURLToPath(new URL('./fixtures/process/busy_orphaning_parent.ts', import.meta.url));

describe('parent death with a busy backend', () => {
  it('kill -9 of the parent: a backend spinning in a synchronous loop exits within ~1 s', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'framering-busy-orphan-'));
    const parent = spawn(process.execPath, ['--import', tsx, parentScript, join(scratch, 'journal')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => parent.once('exit', () => resolve()));
    let pid = 0;
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        parent.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const nl = out.indexOf('\n');
          if (nl >= 0) resolve(out.slice(0, nl));
        });
        parent.once('exit', (code, signal) =>
          reject(new Error(`the parent script ended early (code ${code}, signal ${signal})`)),
        );
      });
      pid = (JSON.parse(line) as { pid: number }).pid;
      expect(isAlive(pid)).toBe(true);

      parent.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      await waitUntil('the busy backend to exit', () => !isAlive(pid), 5000, 10);
      const ms = Date.now() - killedAt;
      console.log(`[busy-orphan] backend gone ${ms} ms after its parent was killed`);
      expect(ms).toBeLessThan(1500);
    } finally {
      parent.kill('SIGKILL');
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
