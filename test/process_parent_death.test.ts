// A parent killed with SIGKILL cannot stop its children: they notice the IPC channel close, close their rings and
// exit on their own. No orphan process, nothing left in /dev/shm.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAlive, shmFiles, waitUntil } from './fixtures/process/test_helpers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const parentScript = fileURLToPath(new URL('./fixtures/process/orphaning_parent.ts', import.meta.url));

describe('parent death', () => {
  it('kill -9 of the parent: every child is gone within 5 s and /dev/shm is clean', async () => {
    const tag = `porph${process.pid}`;
    const parent = spawn(process.execPath, ['--import', tsx, parentScript, tag], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => parent.once('exit', () => resolve()));
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
      const { pids, forwardRing } = JSON.parse(line) as { pids: number[]; forwardRing: string };
      expect(pids).toHaveLength(5);
      for (const pid of pids) expect(isAlive(pid)).toBe(true);
      // master: one reply ring per client; clients: a forward ring and a data ring each
      expect(shmFiles(tag)).toHaveLength(6);
      expect(shmFiles(forwardRing)).toHaveLength(1);

      parent.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      await waitUntil('every child of the killed parent to exit', () => pids.every((pid) => !isAlive(pid)), 5000, 25);
      expect(Date.now() - killedAt).toBeLessThanOrEqual(5000);
      expect(shmFiles(tag)).toEqual([]);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
