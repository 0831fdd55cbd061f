/** The error every wait of this layer ends with when its AbortSignal fires. */
import { RingError } from './ring_error.js';

/** `what` names the wait, e.g. "waiting for ring 'cam1'". */
export function abortedError(what: string): RingError {
  return new RingError('ABORTED', `${what} was aborted by its AbortSignal; nothing is held for it`);
}
