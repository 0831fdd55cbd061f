/**
 * Closes this process's rings and readers on every way out that can be caught: normal exit, process.exit(), an
 * uncaught exception, and SIGINT/SIGTERM/SIGHUP when nobody else handles them. Writers unlink their segments; readers
 * give their table entries back at once instead of leaving them for the writer's liveness check, and stop their
 * waiter threads before the process tears down. kill -9 cannot be caught: readers notice the dead writer, writers
 * reclaim a dead reader's entry, and the cleanup tool removes what a dead writer left. A worker thread that is
 * terminated is covered by the addon's own environment cleanup.
 */
export interface ClosesOnExit {
  closeForExit(): void;
}

import { constants as osConstants } from 'node:os';
import { addon } from './native_addon.js';

const open = new Set<ClosesOnExit>();
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function closeAll(): void {
  // Newest first: readers and pumps opened on a ring close before it.
  for (const item of [...open].reverse()) {
    try {
      item.closeForExit();
    } catch {
      // Best effort on the way out: one ring failing must not keep the others in /dev/shm.
    }
  }
  open.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  addon.clearTerminationSignal(); // it reached JavaScript: a later pull() may wait again
  // Someone else handles this signal (an application's shutdown, a child ignoring SIGINT): theirs to decide.
  if (process.listenerCount(signal) > 1) return;
  closeAll();
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal); // die of the signal as we would have without this handler
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', closeAll);
  for (const s of signals) process.on(s, onSignal);
}

/**
 * Lets a blocking pull() end with INTERRUPTED when SIGTERM, SIGINT or SIGHUP arrives, so that the handlers above (or
 * the application's) run instead of waiting for a frame. Wraps Node's own signal handlers, hence after install().
 */
let watching = false;

export function watchTerminationSignals(): void {
  if (watching) return; // once per process: pull() calls this for every frame, and each watch is six sigaction calls
  watching = true;
  install();
  addon.watchTerminationSignals();
}

/**
 * After a pull() ended with INTERRUPTED: when nobody but framering handles that signal, do now what its handler would
 * have done (close every ring, die of the signal). Otherwise the error unwinds to the event loop, which then runs the
 * application's handler.
 */
export function onPullInterrupted(): void {
  const number = addon.takeTerminationSignal();
  const signal = signals.find((s) => osConstants.signals[s] === number);
  if (signal && process.listenerCount(signal) === 1 && process.listeners(signal)[0] === onSignal) onSignal(signal);
}

export function closeOnExit(item: ClosesOnExit): void {
  install();
  open.add(item);
}

export function forgetOnExit(item: ClosesOnExit): void {
  open.delete(item);
}
