/**
 * One timer per process for every ring server's reclaim of dead readers, instead of one per server: each timer is a
 * wakeup of the event loop, and a master with 8 reply rings (or a main process with 8 cameras) woke 8 times a second
 * for sweeps that nearly always found nothing. A server that writes reclaims on its own as well (the native lend
 * does, at most once a second); the tick is for servers that write nothing for a while.
 */
const RECLAIM_EVERY_MS = 1000;

const sweeps = new Set<() => void>();
let timer: NodeJS.Timeout | null = null;

function tick(): void {
  for (const sweep of sweeps) sweep();
}

/** Runs `sweep` once a second, with every other registered sweep, until the returned function is called. */
export function onReclaimTick(sweep: () => void): () => void {
  sweeps.add(sweep);
  timer ??= setInterval(tick, RECLAIM_EVERY_MS).unref();
  return () => {
    sweeps.delete(sweep);
    if (sweeps.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}
