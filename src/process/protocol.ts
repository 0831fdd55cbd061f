// The IPC messages between a frontend (parent) and its backend (forked child). Sent with Node's 'advanced'
// serialization, so values are structured-cloned: plain objects, arrays, typed arrays, Maps, Dates… but no functions.

import type { SerializedError } from './process_error.js';

/** Parent → child. */
export type ToBackend =
  | { t: 'init'; moduleUrl: string; exportName: string; options: unknown }
  | { t: 'call'; id: number; method: string; args: unknown[] }
  | { t: 'stop' };

/** Child → parent. */
export type ToFrontend =
  | { t: 'ready'; pid: number }
  | { t: 'start-failed'; error: SerializedError }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: SerializedError }
  | { t: 'event'; name: string; payload: unknown }
  | { t: 'stopped'; postRunError?: SerializedError }
  | { t: 'crash'; error: SerializedError };

export function isToFrontend(msg: unknown): msg is ToFrontend {
  return typeof msg === 'object' && msg !== null && typeof (msg as { t?: unknown }).t === 'string';
}

export function isToBackend(msg: unknown): msg is ToBackend {
  return typeof msg === 'object' && msg !== null && typeof (msg as { t?: unknown }).t === 'string';
}
