// Errors of the running service (config errors are ConfigErrors): a stable code and a redacted message.
import { FrameringError } from '../errors/index.js';

export type ServiceErrorCode =
  | 'START_FAILED' // a camera ring or a process could not be set up: everything started was stopped again
  | 'HTTP_FAILED'; // the HTTP side could not listen (port taken, bad host)

export class ServiceError extends FrameringError<ServiceErrorCode> {
  constructor(code: ServiceErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ServiceError';
  }
}
