// Shutdown order: readers before writers ("clients before servers"). Stop the processes that read a ring before the
// thing that writes it: RGB24/Client processes before their LiveStreams, ClientProcesses before their MasterProcess
// (MasterProcess.stop() also deregisters its clients first). Within one group everything stops in parallel.

import type { ExitInfo, MessageProcess } from './message_process.js';
import type { ProcessWaitOptions } from './wait_options.js';

/** Anything with an async stop(): processes, LiveStreams, ring owners… */
export interface Stoppable {
  stop(): Promise<unknown>;
}

/**
 * Stops several processes in parallel, so their postRuns overlap; each is killed if it overruns its stop timeout.
 * Uses stop() rather than requestStop()/waitStop() so that MasterProcess deregisters its clients first.
 * `options` go to each stop() (`{ timeoutMs, signal }`, or a number of ms).
 * Never rejects for one process's failure: the settled results come back in order.
 */
export async function stopAll(
  processes: Iterable<MessageProcess>,
  options?: number | ProcessWaitOptions,
): Promise<PromiseSettledResult<ExitInfo>[]> {
  return Promise.allSettled([...processes].map((p) => p.stop(options)));
}

/**
 * Stops groups one after the other, each group in parallel:
 * `await stopInOrder([clientA, clientB], [master], [stream])`.
 * A failure in one group does not keep the next from stopping; the first failure is rethrown at the end.
 */
export async function stopInOrder(...groups: Array<Iterable<Stoppable>>): Promise<void> {
  let firstError: unknown;
  for (const group of groups) {
    const results = await Promise.allSettled([...group].map((item) => item.stop()));
    for (const r of results) if (r.status === 'rejected' && firstError === undefined) firstError = r.reason;
  }
  if (firstError !== undefined) throw firstError;
}
