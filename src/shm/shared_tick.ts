/**
 * One timer per period per process for every periodic look of its kind (ring servers' reclaim of dead readers, live
 * streams' rate and watchdog ticks), instead of one timer per object: each timer is its own wakeup of the event loop,
 * and a process with 8 cameras or 8 reply rings woke 8 times per period for looks that nearly always found nothing.
 */
/** One registration (an object, so that the same function registered twice is two entries). */
interface Entry {
  callback: () => void;
}

interface Ticker {
  timer: NodeJS.Timeout;
  entries: Set<Entry>;
}

const tickers = new Map<number, Ticker>();

function run(entries: Set<Entry>): void {
  for (const entry of entries) {
    try {
      entry.callback();
    } catch (err) {
      // The others still run; each error is thrown as from a timer of its own (an uncaught exception).
      process.nextTick(() => {
        throw err;
      });
    }
  }
}

/** Calls `callback` every `periodMs` with every other callback of that period, until the returned function runs. */
export function onSharedTick(periodMs: number, callback: () => void): () => void {
  let ticker = tickers.get(periodMs);
  if (!ticker) {
    const entries = new Set<Entry>();
    ticker = { timer: setInterval(() => run(entries), periodMs).unref(), entries };
    tickers.set(periodMs, ticker);
  }
  const mine = ticker;
  const entry: Entry = { callback };
  mine.entries.add(entry);
  return () => {
    if (!mine.entries.delete(entry) || mine.entries.size > 0) return;
    clearInterval(mine.timer);
    if (tickers.get(periodMs) === mine) tickers.delete(periodMs);
  };
}
