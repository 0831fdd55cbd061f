// Errors of the running service (config errors are ConfigErrors): a stable code and a redacted message.

export type ServiceErrorCode =
  | 'START_FAILED' // a camera ring or a process could not be set up: everything started was stopped again
  | 'HTTP_FAILED'; // the HTTP side could not listen (port taken, bad host)

export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  constructor(code: ServiceErrorCode, message: string) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
  }
}
