// Waiting for a process's events without a listener of your own: the next one as a promise (nextEvent), or all of
// them as an async iterable (events). Both end when the process exits, so nothing waits on a process that is gone.

import { EventEmitter, on } from 'node:events';
import { ProcessError } from './process_error.js';
import { abortError, MAX_TIMER_MS, raceSignal } from './wait_options.js';

/**
 * The arguments of the next `name` event of `emitter`. Rejects with TIMEOUT after timeoutMs, an AbortError when the
 * signal fires, and `exitedError()` when 'exit' comes first. Every listener, timer and abort listener is removed once
 * it settles. `what` names the wait in errors ("waiting for event 'x' of process 'p'").
 */
export function nextEventOf(
  emitter: EventEmitter,
  name: string,
  wait: { timeoutMs: number; signal?: AbortSignal },
  what: string,
  exitedError: () => Error,
): Promise<unknown[]> {
  // EventEmitter's own on/off: a process class types its listener methods by event map, which a plain name is not.
  const listen = EventEmitter.prototype.on;
  const unlisten = EventEmitter.prototype.off;
  let cleanup = (): void => {};
  const next = new Promise<unknown[]>((resolve, reject) => {
    const onEvent = (...args: unknown[]): void => {
      cleanup();
      resolve(args);
    };
    const onExit = (): void => {
      cleanup();
      reject(exitedError());
    };
    const timer =
      wait.timeoutMs <= MAX_TIMER_MS
        ? setTimeout(() => {
            cleanup();
            reject(new ProcessError('TIMEOUT', `${what}: none came within ${wait.timeoutMs} ms`));
          }, wait.timeoutMs)
        : undefined;
    cleanup = () => {
      clearTimeout(timer);
      unlisten.call(emitter, name, onEvent);
      if (name !== 'exit') unlisten.call(emitter, 'exit', onExit);
    };
    listen.call(emitter, name, onEvent);
    if (name !== 'exit') listen.call(emitter, 'exit', onExit);
  });
  return raceSignal(next, wait.signal, () => {
    cleanup();
    return abortError(what, wait.signal!.reason, 'the process goes on');
  });
}

/** node:events `on()` over `name`, ended by the emitter's 'exit' (or at once when it has `exited`: no more events). */
export function eventsOf(emitter: EventEmitter, name: string, signal: AbortSignal | undefined, exited: boolean): AsyncIterableIterator<unknown[]> {
  if (exited) return (async function* () {})();
  return on(emitter, name, { signal, close: name === 'exit' ? [] : ['exit'] });
}
