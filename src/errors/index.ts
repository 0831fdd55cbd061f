// One error family for all of framering: the base class, its codes and what each means.
export { FrameringError, isFrameringError } from './framering_error.js';
export { ERROR_CODE_MEANINGS, ERROR_CODES, ErrorCodes, isErrorCode, type FrameringErrorCode } from './error_codes.js';
