/**
 * Plumbing other framering layers (and tests) use, kept off the public API (src/shm/index.ts): the native server
 * behind a ring, invalidating a frame whose reader closed, and the whole-number check every layer shares.
 */
export { nativeServerOf } from './ring_server.js';
export { invalidateFrame } from './frame.js';
export { wholeNumberProblem } from './options.js';
