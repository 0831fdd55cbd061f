// Errors of the object detector: each carries a stable `code` and a message that says what is wrong and what to do.

export type DetectorErrorCode =
  | 'INVALID_OPTIONS' // a threshold, label, size or backend option is wrong: fix the options
  | 'INVALID_FRAME' // the pixels do not hold width × height RGB24
  | 'MODEL_NOT_FOUND' // the model file (or a weights file it names) is missing
  | 'MODEL_INVALID' // the model file is there but cannot be read as the model the options describe
  | 'BACKEND_UNAVAILABLE' // the backend's packages are not installed, or it failed to initialise
  | 'INFERENCE_FAILED' // the backend threw while running the model
  | 'DISPOSED'; // detect() after dispose()

export class DetectorError extends Error {
  readonly code: DetectorErrorCode;

  constructor(code: DetectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DetectorError';
    this.code = code;
  }
}
