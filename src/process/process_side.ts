// One class, two halves: which half an instance is, and the errors for using one half's API on the other.
// The backend runtime sets a global marker while it constructs the backend instance; the constructor takes it.

import { CONSTRUCTING_BACKEND } from './internal_symbols.js';
import { ProcessError } from './process_error.js';

/**
 * true when the runtime is constructing this instance as the backend. The marker is consumed: a process the backend
 * itself creates (nested) is a frontend.
 */
export function takeBackendMarker(): boolean {
  const marker = globalThis as Record<symbol, unknown>;
  const isBackend = marker[CONSTRUCTING_BACKEND] === true;
  delete marker[CONSTRUCTING_BACKEND];
  return isBackend;
}

export function frontendOnlyError(what: string, processName: string): ProcessError {
  return new ProcessError(
    'WRONG_SIDE',
    `${what} is a frontend operation and cannot be used inside the backend of process '${processName}'`,
  );
}

export function backendOnlyError(what: string, processName: string): ProcessError {
  return new ProcessError(
    'WRONG_SIDE',
    `${what}() runs in the backend of process '${processName}'; ` +
      `from the frontend use p.backend.${what}(...) after start()`,
  );
}
