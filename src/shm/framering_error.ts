/** Every error framering raises on purpose: a stable `code` for programs and a message that says what to do. */
export type FrameringErrorCode =
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

export class FrameringError extends Error {
  readonly code: FrameringErrorCode;
  constructor(code: FrameringErrorCode, message: string) {
    super(message);
    this.name = 'FrameringError';
    this.code = code;
  }
}

/** Runs a native call and turns the addon's coded errors into FrameringErrors (stack from the caller's side). */
export function native<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === 'string' && err instanceof Error) throw new FrameringError(code as FrameringErrorCode, err.message);
    throw err;
  }
}
