// Issue 8 §4: restarting after kill -9 of a large ring must not fail with NO_SPACE because of the ring it replaces.
// Runs in a private mount namespace with a 64 MiB /dev/shm, so the test is exact and touches nobody else's /dev/shm.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./fixtures/shm/restart_in_small_shm.ts', import.meta.url));
const probe = spawnSync('unshare', ['--mount', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /dev/shm']);
const canMount = probe.status === 0;

describe('free space', () => {
  it.skipIf(!canMount)('a ring restarted after kill -9 counts the stale ring it replaces as free space', () => {
    const run = spawnSync(
      'unshare',
      [
        '--mount',
        'sh',
        '-c',
        `mount -t tmpfs -o size=64m tmpfs /dev/shm && exec "${process.execPath}" --import tsx "${SCRIPT}"`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(result.first).toBe(true);
    expect(result, JSON.stringify(result)).toMatchObject({ second: true });
    expect(result.left).toEqual([]); // the stale ring was removed, the new one closed
  });
});
