// Attack: waitFor's timeoutMs is not checked: NaN waits forever (whenState calls NaN an INVALID_ARGUMENT).
import { describe, expect, it } from 'vitest';
import { FrameRingClient } from '../src/shm/index.js';

describe('attack: waitFor timeoutMs', () => {
  for (const timeoutMs of [Number.NaN, -5, '100' as unknown as number]) {
    it(`timeoutMs ${String(timeoutMs)} (${typeof timeoutMs}) is an INVALID_ARGUMENT, not a silent wait`, async () => {
      const stop = new AbortController(); // ends a wait that would go on forever
      const outcome = await Promise.race([
        FrameRingClient.waitFor(`atk-missing-${process.pid}`, { timeoutMs, signal: stop.signal }).then(
          () => 'opened',
          (err: { code?: string }) => err.code,
        ),
        new Promise((r) => setTimeout(() => r('still waiting after 1 s'), 1000)),
      ]);
      stop.abort();
      expect(outcome).toBe('INVALID_ARGUMENT');
    });
  }
});
