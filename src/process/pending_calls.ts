// The frontend's calls awaiting a reply from the backend. Whichever comes first settles a call and removes it: the
// reply, its timeout, its AbortSignal, or the backend's exit. So the table holds only calls still worth waiting for,
// and a reply that arrives after its call timed out or was aborted finds nothing and is dropped.

import { ProcessError } from './process_error.js';
import { abortError, MAX_TIMER_MS, type ProcessWaitOptions } from './wait_options.js';

/**
 * Per-call settings for `p.backendWith(options)`: `timeoutMs` (default: the process's callTimeoutMs) rejects with
 * RPC_TIMEOUT, `signal` with an AbortError (code ABORTED). Neither interrupts the backend; its result is dropped.
 */
export type CallOptions = ProcessWaitOptions;

interface Entry {
  method: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
}

export class PendingCalls {
  private readonly calls = new Map<number, Entry>();
  // One abort listener per signal, however many calls share it (and none left once they settled).
  private readonly bySignal = new Map<AbortSignal, { ids: Set<number>; onAbort: () => void }>();
  private nextId = 1;

  constructor(private readonly processName: string) {}

  get size(): number {
    return this.calls.size;
  }

  /** Registers a call and returns its id with the promise of its result. */
  open(method: string, timeoutMs: number, signal: AbortSignal | undefined): { id: number; result: Promise<unknown> } {
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      const entry: Entry = { method, resolve, reject, signal };
      this.calls.set(id, entry);
      if (signal) this.watchSignal(signal, id);
      if (timeoutMs <= MAX_TIMER_MS) {
        entry.timer = setTimeout(() => {
          this.fail(
            id,
            new ProcessError(
              'RPC_TIMEOUT',
              `call ${method}() to process '${this.processName}' got no reply within ${timeoutMs} ms: ` +
                `the backend is stuck in it or ` +
                `busy (it may still finish; its result will be dropped). ` +
                `If the method is slow on purpose, give it more time with ` +
                `p.backendWith({ timeoutMs }) or the callTimeoutMs option`,
            ),
          );
        }, timeoutMs);
      }
    });
    return { id, result };
  }

  /** A reply arrived. Returns false when its call is no longer waited for (timed out, aborted): it is dropped. */
  settle(id: number, reply: { ok: true; value: unknown } | { ok: false; error: (method: string) => Error }): boolean {
    const call = this.take(id);
    if (!call) return false;
    if (reply.ok) call.resolve(reply.value);
    else call.reject(reply.error(call.method));
    return true;
  }

  /** Rejects one call (e.g. its arguments could not be sent). */
  fail(id: number, err: Error): void {
    this.take(id)?.reject(err);
  }

  /** Rejects every call: the backend exited. */
  failAll(errorFor: (method: string) => Error): void {
    for (const id of [...this.calls.keys()]) this.fail(id, errorFor(this.calls.get(id)!.method));
  }

  private watchSignal(signal: AbortSignal, id: number): void {
    let watch = this.bySignal.get(signal);
    if (!watch) {
      const ids = new Set<number>();
      const onAbort = (): void => {
        for (const callId of [...ids]) {
          const call = this.calls.get(callId);
          if (call) this.fail(callId, callAbortError(call.method, this.processName, signal.reason));
        }
      };
      watch = { ids, onAbort };
      this.bySignal.set(signal, watch);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    watch.ids.add(id);
  }

  private take(id: number): Entry | undefined {
    const call = this.calls.get(id);
    if (!call) return undefined;
    this.calls.delete(id);
    clearTimeout(call.timer);
    const watch = call.signal && this.bySignal.get(call.signal);
    if (watch) {
      watch.ids.delete(id);
      if (watch.ids.size === 0) {
        call.signal!.removeEventListener('abort', watch.onAbort);
        this.bySignal.delete(call.signal!);
      }
    }
    return call;
  }
}

/** The error of a call whose signal fired first. */
export function callAbortError(method: string, processName: string, reason: unknown): ProcessError {
  return abortError(
    `call ${method}() to process '${processName}'`,
    reason,
    'the backend is not interrupted, and its result will be dropped',
  );
}
