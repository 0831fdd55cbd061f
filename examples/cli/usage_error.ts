// A mistake on the command line: printed as one line plus a usage hint, exit code 2, never a stack trace.

export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
