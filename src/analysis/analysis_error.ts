// Errors of the analysis helpers (motion, blobs, drawing, snapshots): a bad option or a frame of the wrong size.
import { FrameringError } from '../errors/index.js';

export type AnalysisErrorCode =
  | 'INVALID_ARGUMENT' // an option out of range (threshold, step, dilate…): fix the options
  | 'INVALID_FRAME'; // the pixels do not hold width × height RGB24

export class AnalysisError extends FrameringError<AnalysisErrorCode> {
  constructor(code: AnalysisErrorCode, message: string) {
    super(code, message);
    this.name = 'AnalysisError';
  }
}
