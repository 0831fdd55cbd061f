// The README's subclassing example (test/fixtures/examples/readme/, with relative imports instead of 'framering')
// runs as printed: a LiveStream, an RGB24Process subclass with a frame handler, an event and a backend method.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

it('the README example runs, reports brightness, and leaves /dev/shm clean', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/examples/readme/run_bright.ts'], { cwd: ROOT });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(code, out).toBe(0);
  expect(out).toMatch(/^cam0: brightness \d+$/m);
  expect(out).toMatch(/^levels: \{ cam0: \d+ \}$/m);
  expect(readdirSync('/dev/shm').filter((s) => s.startsWith(`framering-stream-${child.pid}-`))).toEqual([]);
});
