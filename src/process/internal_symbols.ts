// Keys shared between the frontend class, the backend host and the runtime. Symbol.for() on purpose: the runtime
// and a user's module may load two copies of this package (e.g. dist/ and src/ under tsx) and must still agree.

/** Static brand on MessageProcess: lets the runtime recognise a process class without `instanceof`. */
export const PROCESS_CLASS_BRAND = Symbol.for('framering.process.class');
/** Set on globalThis by the runtime while it constructs the backend instance. */
export const CONSTRUCTING_BACKEND = Symbol.for('framering.process.constructingBackend');
/** Instance method returning the hooks the backend host drives (setup, preRun, postRun, teardown, calls). */
export const BACKEND_HOOKS = Symbol.for('framering.process.backendHooks');

/**
 * Framework-internal lifecycle steps that subclasses in this package extend (always calling super): setting up
 * and tearing down the rings a class owns, around the user's preRun/postRun. Symbols, so that user methods can
 * never collide with them.
 */
export const SETUP_BACKEND = Symbol('framering.process.setupBackend');
export const TEARDOWN_BACKEND = Symbol('framering.process.teardownBackend');

/**
 * Type-level marker: a class lists its frontend-only methods (e.g. MasterProcess.registerClientProcess) as the keys
 * of this optional property, so that `p.backend` does not offer them. Never set at run time.
 */
export const FRONTEND_ONLY: unique symbol = Symbol('framering.process.frontendOnly');

/** Framework reaction to a ring's writer going away (MasterProcess frees that client), before the user's hook. */
export const RING_GONE = Symbol('framering.process.ringGone');

/** Framework notice that a frame is about to go to handleFrame (MasterProcess remembers it to stamp its replies). */
export const FRAME_TAKEN = Symbol('framering.process.frameTaken');

/** Framework step: read frames passed by reference through a data ring (MasterProcess, for by-reference clients). */
export const ACTIVATE_FRAME_REFS = Symbol('framering.process.activateFrameRefs');
