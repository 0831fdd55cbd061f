// The README's subclassing example (test/fixtures/examples/readme/, with relative imports instead of 'framering')
// runs as printed: a LiveStream, an RGB24Process subclass with a frame handler, an event and a backend method.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

it('the README example runs, reports brightness, and leaves /dev/shm clean', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/examples/readme/run_bright.ts'], {
    cwd: ROOT,
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(code, out).toBe(0);
  expect(out).toMatch(/^cam0: brightness \d+$/m);
  expect(out).toMatch(/^levels: \{ cam0: \d+ \}$/m);
  expect(Number(/^read here: (\d+) frames$/m.exec(out)?.[1])).toBeGreaterThan(10); // 5 s at 10 fps
  expect(readdirSync('/dev/shm').filter((s) => s.startsWith(`framering-stream-${child.pid}-`))).toEqual([]);
});

it('the README shows the example exactly as the test runs it', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const file of ['bright_process.ts', 'run_bright.ts']) {
    const lines = readFileSync(new URL(`./fixtures/examples/readme/${file}`, import.meta.url), 'utf8')
      .trimEnd()
      .split('\n');
    // The fixture's first line says what it is and its imports are relative; the rest is the README's code.
    const body = lines
      .slice(1)
      .filter((l) => !l.startsWith('import '))
      .join('\n')
      .trim();
    expect(readme, `README block of ${file}`).toContain(body);
  }
});
