// Periodic looks share one timer per period per process (src/shm/shared_tick.ts): ring servers' reclaim and live
// streams' ticks no longer wake the event loop once per object.
import { describe, expect, it } from 'vitest';
import { FrameRingServer } from '../src/shm/index.js';
import { onSharedTick } from '../src/shm/internal.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('shared ticks', () => {
  it('callbacks of one period run together from one timer, until each stops', async () => {
    const calls = { a: 0, b: 0 };
    const stopA = onSharedTick(20, () => calls.a++);
    const stopB = onSharedTick(20, () => calls.b++);
    await sleep(130);
    expect(calls.a).toBeGreaterThanOrEqual(4);
    expect(Math.abs(calls.a - calls.b)).toBeLessThanOrEqual(1);
    stopA();
    const a = calls.a;
    const b = calls.b;
    await sleep(80);
    expect(calls.a).toBe(a);
    expect(calls.b).toBeGreaterThan(b);
    stopB();
    stopB(); // idempotent
    const after = calls.b;
    await sleep(60);
    expect(calls.b).toBe(after);
  });

  it('eight ring servers share one reclaim timer', () => {
    // Count the intervals made while the servers are created: one per server would be a wakeup each per second.
    const real = globalThis.setInterval;
    let made = 0;
    globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
      made++;
      return real(...args);
    }) as typeof setInterval;
    const servers: FrameRingServer[] = [];
    try {
      for (let i = 0; i < 8; i++)
        servers.push(new FrameRingServer({ name: `t-tick-${process.pid}-${i}`, width: 8, height: 8, slots: 2 }));
    } finally {
      globalThis.setInterval = real;
      for (const s of servers) s.close();
    }
    expect(made).toBeLessThanOrEqual(1);
  });
});
