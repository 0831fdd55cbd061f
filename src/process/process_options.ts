// What a process is created with and what it reports about itself: options, the lifecycle states, and how it ended.
// Shared by the public class (message_process.ts) and the frontend's handle on the child (backend_child.ts).

import { ProcessError, type SerializedError } from './process_error.js';

export interface MessageProcessOptions {
  /**
   * Shown in errors, events, `ps` (process title framering:<name>) and ring names. [A-Za-z0-9._-], 1..64 chars.
   * Default: the class name.
   */
  name?: string;
  /** Where the class is defined (file: URL or absolute path). Default: the class's own static `moduleUrl`. */
  moduleUrl?: string;
  /** Under which name the module exports the class. Default: the class's static `exportName`, else its name. */
  exportName?: string;
  /** Node options for the child. The tsx loader is added automatically when the runtime or the module is TypeScript. */
  execArgv?: string[];
  /** Extra environment variables for the child (added to the parent's environment). */
  env?: Record<string, string>;
  /** How long start() waits for the module to load and preRun to finish before it kills the child. Default 30 000. */
  startTimeoutMs?: number;
  /**
   * How long stop()/waitStop() wait for postRun and the exit before they kill the child and all it started.
   * Default 10 000.
   */
  stopTimeoutMs?: number;
  /**
   * How long a backend call waits for its reply before it rejects with RPC_TIMEOUT. Infinity: no limit.
   * Default 30 000.
   */
  callTimeoutMs?: number;
}

/** new → starting → running → stopping → exited. A process runs once: create a new object to run it again. */
export type ProcessState = 'new' | 'starting' | 'running' | 'stopping' | 'exited';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** true when the exit followed stop()/requestStop(); false for a crash, an outside kill, or SIGTERM. */
  requested: boolean;
  /** true when waitStop() had to kill the child after its timeout. */
  killed: boolean;
  /** The uncaught backend error that crashed it, or the error postRun threw. */
  error?: SerializedError;
  /**
   * Rings the backend owned but could not close (it was killed, e.g. kill -9): the frontend removed them from
   * /dev/shm before emitting 'exit'. Empty after an orderly stop or a crash, where the backend closes its own.
   */
  removedRings: string[];
}

export const DEFAULT_START_TIMEOUT_MS = 30_000;
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The options object a constructor got, checked, and the process name they give. */
export function checkProcessOptions(
  className: string,
  options: unknown,
): { options: MessageProcessOptions; name: string } {
  if (typeof options !== 'object' || options === null) {
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `${className}: options must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  const checked = options as MessageProcessOptions;
  const name = checked.name ?? className;
  if (!NAME_PATTERN.test(name)) {
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `process name '${name}' is not valid: use 1..64 characters from A-Z a-z 0-9 . _ -`,
    );
  }
  return { options: checked, name };
}
