// How a backend learns that its parent died. 'disconnect' needs a free event loop; the kernel does not: the child
// asks for SIGTERM on the parent's death (prctl PR_SET_PDEATHSIG), and a native watchdog thread SIGKILLs it when its
// loop is too busy to react (a synchronous loop in a backend method) or its orderly shutdown hangs.
import { constants } from 'node:os';
import { addon } from '../shm/native_addon.js';

interface ProcessControl {
  setParentDeathSignal(signal: number, expectedParentPid: number): boolean;
  startOrphanWatchdog(expectedParentPid: number, respondMs: number, limitMs: number): boolean;
  acknowledgeOrphan(): void;
}

const control = addon as unknown as ProcessControl;

/** How long the loop has to show it is alive after the parent died, before the watchdog kills the child. */
export const ORPHAN_RESPOND_MS = 500;

/**
 * Arms both: SIGTERM on the parent's death, and the watchdog (SIGKILL after respondMs without acknowledgeOrphan(),
 * or after limitMs in any case). Returns false when the parent is already gone: no signal will come, act now.
 */
export function watchParentDeath(parentPid: number, limitMs: number): boolean {
  const alive = control.setParentDeathSignal(constants.signals.SIGTERM, parentPid);
  control.startOrphanWatchdog(parentPid, ORPHAN_RESPOND_MS, limitMs);
  return alive;
}

/** The loop noticed the death and shuts down in order: the watchdog waits for the full limit. */
export function acknowledgeOrphan(): void {
  control.acknowledgeOrphan();
}
