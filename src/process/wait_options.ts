// The one shape every waiting method of this layer takes: `{ signal?, timeoutMs? }` (start, waitStop, stop, RPC calls
// through backendWith, nextEvent, events). An abort rejects with an error named AbortError, code ABORTED, and the
// signal's reason as its cause; a signal that already fired rejects at once.

import { ProcessError } from './process_error.js';

export interface ProcessWaitOptions {
  /** Stop waiting when this fires: the wait rejects with an AbortError (code ABORTED). */
  signal?: AbortSignal;
  /** Stop waiting after this many ms. Infinity: no limit. The default depends on the method. */
  timeoutMs?: number;
}

// setTimeout cannot wait longer than MAX_TIMER_MS (it would fire at once); a longer timeout is as good as none.
export { MAX_TIMER_MS } from '../shm/internal.js';

/** Validates a timeout given by the user: a positive number of ms, or Infinity for none. */
export function checkTimeout(value: unknown, what: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `${what} must be a positive number of milliseconds (or Infinity for no limit), got ${String(value)}`,
    );
  }
  return value;
}

/** Validates `{ signal?, timeoutMs? }`; the timeout falls back to `defaultTimeoutMs`. */
export function checkWaitOptions(
  options: unknown,
  defaultTimeoutMs: number,
  what: string,
): { timeoutMs: number; signal?: AbortSignal } {
  if (options === undefined) return { timeoutMs: defaultTimeoutMs };
  if (typeof options !== 'object' || options === null) {
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `${what}: options must be an object { timeoutMs?, signal? }, got ${options === null ? 'null' : typeof options}`,
    );
  }
  const { timeoutMs, signal } = options as ProcessWaitOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `${what}: signal must be an AbortSignal (new AbortController().signal, AbortSignal.timeout(ms))`,
    );
  }
  return {
    timeoutMs: timeoutMs === undefined ? defaultTimeoutMs : checkTimeout(timeoutMs, `${what}: timeoutMs`),
    signal,
  };
}

/** The error of an aborted wait: `what` names it, e.g. "call detect() to process 'x'" or "start() of process 'x'". */
export function abortError(what: string, reason: unknown, consequence: string): ProcessError {
  const why = reason instanceof Error ? reason.message : reason === undefined ? 'no reason given' : String(reason);
  const err = new ProcessError('ABORTED', `${what} was aborted (${why}); ${consequence}`, { cause: reason });
  err.name = 'AbortError';
  return err;
}

/**
 * Settles with `promise`, or rejects with `onAbort()` once `signal` fires, whichever is first. The abort listener is
 * removed when the promise settles, so a long-lived signal collects nothing.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err);
      },
    );
  });
}
