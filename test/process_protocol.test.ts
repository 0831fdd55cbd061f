// The IPC protocol carries a version: a frontend and a backend runtime of different framering versions fail at
// start with PROTOCOL_MISMATCH, at once, instead of hanging until the start timeout. The backends are real runtimes
// whose wire messages a preload alters (test/fixtures/process/protocol_tamper.ts).

import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageProcess } from '../src/process/index.js';
import { StubbornProcess } from './fixtures/process/stubborn_process.js';
import { isAlive } from './fixtures/process/test_helpers.js';

const tamper = fileURLToPath(new URL('./fixtures/process/protocol_tamper.ts', import.meta.url));
const started: MessageProcess[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => (p.state === 'exited' ? undefined : p.stop(5000))));
});

async function startTampered(
  mode: string,
): Promise<{ err: { code?: string; message: string }; ms: number; p: MessageProcess }> {
  // A long start timeout: a mismatch must be reported at once, not by the timeout.
  const p = new StubbornProcess({
    name: `proto-${mode}`,
    startTimeoutMs: 20_000,
    execArgv: ['--import', tamper],
    env: { FRAMERING_TAMPER: mode },
  });
  started.push(p);
  const t0 = Date.now();
  const err = await p.start().then(
    () => ({ message: 'start() resolved' }),
    (e: { code?: string; message: string }) => e,
  );
  return { err, ms: Date.now() - t0, p };
}

describe('protocol version', () => {
  it.each([
    ['hello-version', 'a runtime that speaks another protocol version', 'speaks protocol 1'],
    ['no-hello', 'a runtime from before versioning (no hello)', 'an older protocol without a hello'],
    ['init-version', 'a frontend that speaks another version, seen by the runtime', 'its frontend speaks protocol 1'],
  ])('%s: %s is PROTOCOL_MISMATCH at start, not a hang', async (mode, _what, detail) => {
    const { err, ms, p } = await startTampered(mode);
    console.log(`[protocol] ${mode}: start() rejected after ${ms} ms`);
    expect(err).toMatchObject({ code: 'PROTOCOL_MISMATCH', message: expect.stringContaining(detail) });
    expect(err.message).toContain('different framering versions');
    expect(ms).toBeLessThan(10_000);
    const info = await p.waitStop(5000);
    expect(info.requested).toBe(false);
    expect(isAlive(p.pid!)).toBe(false);
  });
});
