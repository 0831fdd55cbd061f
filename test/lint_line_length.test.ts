// scripts/check_line_length.ts as `npm run lint:lines` runs it: on real files, in a child process, read by its exit
// code and its output lines.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'check_line_length.ts');
const dir = mkdtempSync(join(tmpdir(), 'framering-line-length-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(...files: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SCRIPT, ...files],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('line length check', () => {
  it(
    'passes lines of 120 characters, counting code points ' + '(a line of 120 "é" or emoji is 120, not 240 or 480)',
    async () => {
      const ok = file('ok.ts', `${'x'.repeat(120)}\n${'é'.repeat(120)}\r\n${'😀'.repeat(120)}\n`);
      const r = await check(ok);
      expect(r.stdout).toContain('no line over 120 characters');
      expect(r.code).toBe(0);
    },
  );

  it('fails on a line of 121 characters and names each long line as path:line with its length', async () => {
    const ok = file('fine.cc', 'int x;\n');
    const bad = file('bad.py', `short\n${'y'.repeat(121)}\nshort\n${'z'.repeat(200)}\n`);
    const r = await check(ok, bad);
    expect(r.code).toBe(1);
    const found = r.stdout.split('\n').filter((l) => l.includes('LINE_TOO_LONG'));
    expect(found).toEqual([
      `${bad}:2 LINE_TOO_LONG 121 characters (limit 120)`,
      `${bad}:4 LINE_TOO_LONG 200 characters (limit 120)`,
    ]);
    expect(r.stdout).toContain('2 lines over 120 characters in 1 of 2 files');
  });

  it('without arguments checks the source files git lists, each finding as path:line', async () => {
    const r = await check();
    // Long lines are allowed here until the tree is formatted: what counts is that it read the tree and says where.
    expect(r.stdout).toMatch(/\d+ files/);
    for (const line of r.stdout.split('\n').filter((l) => l.includes('LINE_TOO_LONG'))) {
      expect(line).toMatch(/^[\w./-]+\.(ts|js|mjs|cjs|cc|h|py):\d+ LINE_TOO_LONG \d+ characters \(limit 120\)$/);
    }
  });
});
