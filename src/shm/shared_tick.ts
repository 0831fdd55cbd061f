/**
 * One timer per period per process for every periodic look of its kind (ring servers' reclaim of dead readers, live
 * streams' rate and watchdog ticks), instead of one timer per object: each timer is its own wakeup of the event loop,
 * and a process with 8 cameras or 8 reply rings woke 8 times per period for looks that nearly always found nothing.
 */
interface Ticker {
  timer: NodeJS.Timeout;
  callbacks: Set<() => void>;
}

const tickers = new Map<number, Ticker>();

function run(callbacks: Set<() => void>): void {
  let first: unknown = null;
  for (const callback of callbacks) {
    try {
      callback();
    } catch (err) {
      first ??= err; // the others still run; the first error is thrown as from a timer of its own
    }
  }
  if (first !== null) throw first;
}

/** Calls `callback` every `periodMs` with every other callback of that period, until the returned function runs. */
export function onSharedTick(periodMs: number, callback: () => void): () => void {
  let ticker = tickers.get(periodMs);
  if (!ticker) {
    const callbacks = new Set<() => void>();
    ticker = { timer: setInterval(() => run(callbacks), periodMs).unref(), callbacks };
    tickers.set(periodMs, ticker);
  }
  const mine = ticker;
  mine.callbacks.add(callback);
  return () => {
    if (!mine.callbacks.delete(callback) || mine.callbacks.size > 0) return;
    clearInterval(mine.timer);
    if (tickers.get(periodMs) === mine) tickers.delete(periodMs);
  };
}
