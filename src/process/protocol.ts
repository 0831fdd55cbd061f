// The IPC messages between a frontend (parent) and its backend (forked child). Sent with Node's 'advanced'
// serialization, so values are structured-cloned: plain objects, arrays, typed arrays, Maps, Dates… but no functions.

import type { SerializedError } from './process_error.js';

/**
 * Bumped whenever a message changes shape. Both sides check it at start: a frontend and a backend runtime from
 * different framering versions (two installs, a stale dist/ build) fail with PROTOCOL_MISMATCH instead of hanging.
 * 1 was the unversioned protocol, without 'hello'.
 */
export const PROTOCOL_VERSION = 2;

/** Parent → child. */
export type ToBackend =
  | { t: 'init'; protocol: number; moduleUrl: string; exportName: string; options: unknown }
  | { t: 'call'; id: number; method: string; args: unknown[] }
  | { t: 'stop' };

/** Child → parent. */
export type ToFrontend =
  // The runtime's first message, sent before it reads anything: which protocol it speaks.
  | { t: 'hello'; protocol: number; pid: number; runtime: string }
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
