// Waiting for a process's events without a listener of your own: the next one as a promise (nextEvent), or all of
// them as an async iterable (events). Both end when the process exits, so nothing waits on a process that is gone.

import { EventEmitter } from 'node:events';
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

/**
 * Every `name` event of `emitter` as an async iterable of listener arguments. Events that come while the consumer is
 * busy are queued. The 'exit' event ends the loop once the queue is drained (at once when `exited`); the signal ends
 * it with an AbortError (code ABORTED). Leaving the loop (break, return, throw) removes the listeners.
 * Written out rather than node:events `on()`: its `close` option is missing from early Node 20 releases (engines says
 * >=20.9), and here an abort carries code ABORTED like every other wait of this layer.
 */
export function eventsOf(
  emitter: EventEmitter,
  name: string,
  signal: AbortSignal | undefined,
  exited: boolean,
  what: string,
): AsyncIterableIterator<unknown[]> {
  const listen = EventEmitter.prototype.on;
  const unlisten = EventEmitter.prototype.off;
  const queue: unknown[][] = [];
  let ended = exited;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const onEvent = (...args: unknown[]): void => {
    queue.push(args);
    // Iterating the 'exit' event itself: it is the last there will be.
    if (name === 'exit') finish(null);
    else wake?.();
  };
  const onExit = (): void => finish(null);
  const onAbort = (): void => finish(abortError(what, signal!.reason, 'the process goes on'));
  function finish(err: Error | null): void {
    if (ended && !err) return;
    ended = true;
    failure ??= err;
    unlisten.call(emitter, name, onEvent);
    unlisten.call(emitter, 'exit', onExit);
    signal?.removeEventListener('abort', onAbort);
    wake?.();
  }
  if (!ended) {
    if (signal?.aborted) {
      ended = true;
      failure = abortError(what, signal.reason, 'the process goes on');
    } else {
      listen.call(emitter, name, onEvent);
      if (name !== 'exit') listen.call(emitter, 'exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
    }
  }
  const iterator: AsyncIterableIterator<unknown[]> = {
    async next(): Promise<IteratorResult<unknown[]>> {
      for (;;) {
        // An abort ends the loop at once; an exit only after what came before it.
        if (failure) {
          const err = failure;
          failure = null;
          queue.length = 0;
          throw err;
        }
        if (queue.length > 0) return { value: queue.shift()!, done: false };
        if (ended) return { value: undefined, done: true };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    },
    async return(): Promise<IteratorResult<unknown[]>> {
      finish(null);
      queue.length = 0;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
