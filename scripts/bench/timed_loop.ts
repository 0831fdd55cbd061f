/** Writer-side loops: flat out for a fixed time, or paced at a rate; both keep the event loop breathing. */
import { nowUs, sleepMs, yieldToLoop } from './clock.js';
import type { MeasureWindow } from './reader_roles.js';

const BURST_US = 10_000; // synchronous work between yields: short enough for IPC and Ctrl-C to get through

/** Calls step() as fast as it goes for ms milliseconds; returns how many calls ran and the span they covered. */
export async function runFlatOut(ms: number, step: () => void): Promise<{ calls: number; window: MeasureWindow }> {
  const fromUs = nowUs();
  const endUs = fromUs + ms * 1000;
  let calls = 0;
  for (let now = fromUs; now < endUs; now = nowUs()) {
    const burstEnd = Math.min(endUs, now + BURST_US);
    do {
      step();
      calls++;
    } while (nowUs() < burstEnd);
    await yieldToLoop();
  }
  return { calls, window: { fromUs, toUs: nowUs() } };
}

/**
 * Calls step() about `rate` times a second for ms milliseconds, sleeping in between (a timer, not a busy wait: the
 * reader must have the CPU to itself between frames). step may return a promise (e.g. an ack) to wait for.
 */
export async function runPaced(
  ms: number,
  rate: number,
  step: () => void | Promise<void>,
): Promise<{ calls: number; window: MeasureWindow }> {
  const fromUs = nowUs();
  const endUs = fromUs + ms * 1000;
  const periodUs = 1e6 / rate;
  let due = fromUs;
  let calls = 0;
  while (nowUs() < endUs) {
    await step();
    calls++;
    due += periodUs;
    const now = nowUs();
    if (due < now) due = now; // a slow transport: no catch-up bursts, they would queue
    const waitMs = (due - now) / 1000;
    if (waitMs >= 1) await sleepMs(Math.floor(waitMs));
    else await yieldToLoop();
  }
  return { calls, window: { fromUs, toUs: nowUs() } };
}
