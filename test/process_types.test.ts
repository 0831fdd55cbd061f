// Types are checked by tsc, not by running. This compiles test/fixtures/process/tsconfig.types.json: every process
// test and fixture (test/ is outside the main tsconfig, so their expectTypeOf lines and typed calls are checked only
// here), and typed_events.ts, whose `@ts-expect-error` lines (wrong event names, wrong payload types, on every
// process class) must all be errors. A type that let a wrong name through fails here as an unused directive.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const project = fileURLToPath(new URL('./fixtures/process/tsconfig.types.json', import.meta.url));

function typeCheck(): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsc, '-p', project, '--pretty', 'false'],
      { cwd: root, timeout: 180_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('typed process events', () => {
  it('the process tests and fixtures type-check, and tsc rejects ' +
    'every wrong event name and payload (typed_events.ts)', async () => {
    const { code, output } = await typeCheck();
    expect(output).toBe('');
    expect(code).toBe(0);
  }, 200_000);
});
