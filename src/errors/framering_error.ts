// The base of every error framering raises on purpose: `instanceof FrameringError` (or isFrameringError) is true
// for all of them, and `code` is one of FrameringErrorCode. Subclasses (RingError, ProcessError, StreamError…)
// narrow the code to their own and add their fields; each keeps its own `name`.
import { isErrorCode, type FrameringErrorCode } from './error_codes.js';

// A mark on the prototype, so isFrameringError also knows errors built by a second copy of framering (another
// install, or the sources and dist both loaded), where instanceof is false.
const FRAMERING_ERROR = Symbol.for('framering.error');

export class FrameringError<Code extends FrameringErrorCode = FrameringErrorCode> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FrameringError';
    this.code = code;
  }
}
Object.defineProperty(FrameringError.prototype, FRAMERING_ERROR, { value: true });

/** True for any framering error (of this copy of framering or another), so `switch (err.code)` type-checks. */
export function isFrameringError(value: unknown): value is FrameringError {
  if (value instanceof FrameringError) return true;
  if (!(value instanceof Error)) return false;
  const marked = value as Error & { [FRAMERING_ERROR]?: unknown; code?: unknown };
  return marked[FRAMERING_ERROR] === true && isErrorCode(marked.code);
}
