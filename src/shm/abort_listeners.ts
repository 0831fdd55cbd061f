/**
 * One real 'abort' listener per AbortSignal, however many waits share it. An application passes one signal to all of
 * its loops and waits (the README's pattern); a listener per pending wait would trip Node's MaxListenersExceeded
 * warning at 11. The one listener stays on the signal until it fires (or the signal is collected): bounded.
 */
const callbacksOf = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `callback` once when `signal` aborts; the returned function forgets it (call it when the wait settles). */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = callbacksOf.get(signal);
  if (!callbacks) {
    const created = new Set<() => void>();
    callbacks = created;
    callbacksOf.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        callbacksOf.delete(signal);
        for (const call of [...created]) call();
      },
      { once: true },
    );
  }
  const set = callbacks;
  set.add(callback);
  return () => set.delete(callback);
}
