// Errors of the object detector: each carries a stable `code` and a message that says what is wrong and what to do.
import { FrameringError } from '../../errors/index.js';

export type DetectorErrorCode =
  | 'INVALID_ARGUMENT' // a threshold, label, size or backend option is wrong: fix the options (was INVALID_OPTIONS)
  | 'INVALID_FRAME' // the pixels do not hold width × height RGB24
  | 'MODEL_NOT_FOUND' // the model file (or a weights file it names) is missing
  | 'MODEL_INVALID' // the model file is there but cannot be read as the model the options describe
  | 'INFERENCE_UNAVAILABLE' // the inference backend's packages are not installed, or it failed to initialise
  //   (was BACKEND_UNAVAILABLE)
  | 'INFERENCE_FAILED' // the backend threw while running the model
  | 'DISPOSED'; // detect() after dispose()

export class DetectorError extends FrameringError<DetectorErrorCode> {
  constructor(code: DetectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DetectorError';
  }
}
