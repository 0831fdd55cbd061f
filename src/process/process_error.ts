// Errors of the process layer: a stable `code` for programs, a message that says what was wrong and what to do.
import { FrameringError, isErrorCode } from '../errors/index.js';

export type ProcessErrorCode =
  | 'INVALID_ARGUMENT' // a bad option or argument given by the caller
  | 'NOT_STARTED' // a call before start() resolved
  | 'ALREADY_STARTED' // start() twice
  | 'STOPPED' // a call after stop(), or stop() while a call was pending
  | 'START_FAILED' // the backend could not load the module, construct the class or finish preRun
  | 'BACKEND_EXITED' // the backend process exited (crashed, was killed) while something was pending
  | 'BACKEND_ERROR' // the backend method threw an error without a code of its own
  | 'UNKNOWN_METHOD' // the method does not exist in the backend or may not be called from the frontend
  | 'WRONG_SIDE' // a backend-only method called in the frontend, or the reverse
  | 'SEND_FAILED' // an argument, return value or event payload could not be sent between the processes
  | 'TIMEOUT' // start() or stop() took longer than allowed
  | 'RPC_TIMEOUT' // a backend call got no reply within its timeout (callTimeoutMs, or backendWith({ timeoutMs }))
  | 'ABORTED' // a backend call's AbortSignal fired before the reply (the error's name is 'AbortError')
  | 'PROTOCOL_MISMATCH' // the frontend and the backend runtime come from different framering versions
  | 'CLIENT_GONE' // a client process died while a master was registering it
  | 'NOT_FOUND' // an unknown ring / data server name
  | 'TOO_MANY_CLIENTS'
  | 'ALREADY_REGISTERED'
  | 'NOT_REGISTERED';

export class ProcessError extends FrameringError<ProcessErrorCode> {
  constructor(code: ProcessErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ProcessError';
  }
}

/** Plain-object form of an error, safe to send over IPC. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
      stack: err.stack,
      code: typeof code === 'string' ? code : undefined,
    };
  }
  return { name: 'Error', message: `non-Error value thrown: ${safeString(err)}` };
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/**
 * An error thrown by a backend method, rebuilt in the frontend. Its message is the backend's message and its
 * stack is the backend's stack (where the error really happened); `code` is the backend error's own code when it
 * is a framering code (e.g. a RingError's 'RING_NOT_FOUND'), otherwise 'BACKEND_ERROR', and `remoteCode` keeps
 * whatever code the backend error had (e.g. 'ENOENT'), so `switch (err.code)` stays within FrameringErrorCode.
 */
export class BackendError extends FrameringError {
  /** The backend error's class name, e.g. 'TypeError' or 'RingError'. */
  readonly remoteName: string;
  /** The backend error's own `code`, framering's or not; undefined when it had none. */
  readonly remoteCode: string | undefined;
  readonly method: string;
  readonly processName: string;
  constructor(processName: string, method: string, remote: SerializedError) {
    super(isErrorCode(remote.code) ? remote.code : 'BACKEND_ERROR', remote.message);
    this.name = 'BackendError';
    this.remoteName = remote.name;
    this.remoteCode = remote.code;
    this.method = method;
    this.processName = processName;
    if (remote.stack) this.stack = `${remote.stack}\n    -- in backend of process '${processName}', method ${method}()`;
  }
}
