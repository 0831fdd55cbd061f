// Errors of the shared-memory rings, raised here and by the native addon (native/ring_error.h).
import { FrameringError, isErrorCode } from '../errors/index.js';

export type RingErrorCode =
  | 'INVALID_ARGUMENT'
  | 'RING_EXISTS'
  | 'RING_NOT_FOUND'
  | 'RING_INVALID'
  | 'NO_SPACE'
  | 'TOO_MANY_READERS'
  | 'MESSAGE_TOO_LARGE'
  | 'CLOSED'
  | 'TIMEOUT'
  | 'WRITER_GONE'
  | 'INTERRUPTED'
  | 'ABORTED'
  | 'RING_UNTRUSTED'
  | 'SYSTEM';

export class RingError extends FrameringError<RingErrorCode> {
  constructor(code: RingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'RingError';
  }
}

/** Runs a native call and turns the addon's coded errors into RingErrors (stack from the caller's side). */
export function native<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === 'string' && err instanceof Error) {
      // The addon only raises ring codes; one it should not raise still arrives coded, as SYSTEM, with its text.
      if (isErrorCode(code)) throw new RingError(code as RingErrorCode, err.message);
      throw new RingError('SYSTEM', `${err.message} (${code})`);
    }
    throw err;
  }
}
