// The shm layer's plumbing: what framering's other layers, tools and tests use, with no semver promise. Programs
// use the public API (./index.ts); this is reached as 'framering/internal'.
export { RingPump, createPipe, closeFd, type PumpEnd, type PumpStats, type RingPumpOptions } from './ring_pump.js';
export { removeSegment, SHM_DIR, SEGMENT_PREFIX } from './segments.js';
export { closeOnExit, forgetOnExit, type ClosesOnExit } from './exit_cleanup.js';
// The native server behind a ring, invalidating a frame whose reader closed, and the whole-number check every
// layer shares.
export { nativeServerOf } from './ring_server.js';
export { invalidateFrame, pinFrame, unpinFrame, ringOfFrame } from './frame.js';
export { MAX_TIMER_MS, wholeNumberProblem } from './options.js';
// One timer per period per process for periodic looks (ring reclaim, live streams' ticks).
export { onSharedTick } from './shared_tick.js';
