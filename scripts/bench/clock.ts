/**
 * The clock both sides of a measurement read. process.hrtime.bigint() is CLOCK_MONOTONIC on Linux: one clock for
 * every process on the machine, with ns resolution, so a stamp taken by the writer can be compared with the
 * reader's own reading (Date.now() is ms only; CLOCK_REALTIME can step).
 */

/** Monotonic time in µs, as a double (exact to the ns for the next ~100 days of uptime). */
export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lets the event loop run (IPC, signals) between bursts of synchronous work. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
