// Backend → frontend events: what `this.sendOut(name, payload)` puts on the IPC channel. The frontend's BackendChild
// receives it and MessageProcess emits it, so `p.on(name, listener)` gets the (structured-cloned) payload.

import { ProcessError } from './process_error.js';
import type { ToFrontend } from './protocol.js';

/** Event names the framework emits on the frontend itself; sendOut() refuses them. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set(['exit', 'error', 'newListener', 'removeListener']);

/** Sends one event to the parent. Returns false when the parent is gone and the event was dropped. */
export function sendEventToFrontend(name: string, payload: unknown): boolean {
  if (typeof name !== 'string' || name.length === 0 || RESERVED_EVENTS.has(name)) {
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `sendOut: event name must be a non-empty string ` +
        `other than ${[...RESERVED_EVENTS].join(', ')}; got ${String(name)}`,
    );
  }
  if (!process.connected || !process.send) return false;
  try {
    process.send({ t: 'event', name, payload } satisfies ToFrontend);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ProcessError(
      'SEND_FAILED',
      `sendOut('${name}'): the payload cannot be sent to the frontend (${why}); use plain data`,
    );
  }
  return true;
}
