// The child side of a process: receives the init message, loads the user's module, constructs the class in backend
// mode, runs preRun, answers calls, and shuts down on stop, SIGTERM, a crash or the parent's death. It ignores SIGINT
// and SIGHUP: the parent coordinates shutdown.

import { BACKEND_HOOKS, CONSTRUCTING_BACKEND, PROCESS_CLASS_BRAND } from './internal_symbols.js';
import { acknowledgeOrphan, watchParentDeath } from './parent_death.js';
import { ProcessError, serializeError, type ProcessErrorCode, type SerializedError } from './process_error.js';
import { isToBackend, PROTOCOL_VERSION, type ToBackend, type ToFrontend } from './protocol.js';

/** What the host drives in the backend instance; provided by MessageProcess[BACKEND_HOOKS](). */
export interface BackendHooks {
  processName: string;
  /** Framework setup (rings) followed by the user's preRun. */
  start(): Promise<void>;
  /** The user's postRun. */
  postRun(): Promise<void>;
  /** Framework teardown: closes every ring the instance owns. Idempotent. */
  teardown(): Promise<void>;
  /** Why `method` may not be called from the frontend, or null when it may. */
  refuseCall(method: string): string | null;
  invoke(method: string, args: unknown[]): Promise<unknown>;
}

type ShutdownReason = 'stop' | 'parent-gone' | 'sigterm';

// A parent that died must not leave a child behind for long: postRun gets this long, then rings are closed anyway.
const ORPHAN_POSTRUN_LIMIT_MS = 1000;
const TEARDOWN_LIMIT_MS = 3000;
const SEND_FLUSH_LIMIT_MS = 1000;
// After the parent died, the orderly way out may take this long (postRun, teardown, flush, with room to spare)
// before the native watchdog kills the child anyway.
const ORPHAN_EXIT_LIMIT_MS = ORPHAN_POSTRUN_LIMIT_MS + TEARDOWN_LIMIT_MS + SEND_FLUSH_LIMIT_MS + 1000;

export class BackendHost {
  private hooks: BackendHooks | null = null;
  private started = false;
  private shuttingDown = false;
  private crashing = false;
  private readonly parentPid = Number(process.env.FRAMERING_PARENT_PID) || process.ppid;

  listen(): void {
    if (!process.send) {
      console.error(
        'framering backend runtime: started without an IPC channel; ' +
          'it is forked by MessageProcess.start(), not run directly',
      );
      process.exit(2);
    }
    // First, before reading anything: which protocol this runtime speaks, so that a frontend of another framering
    // version can tell at once.
    process.send({
      t: 'hello',
      protocol: PROTOCOL_VERSION,
      pid: process.pid,
      runtime: process.argv[1] ?? 'unknown',
    } satisfies ToFrontend);
    // We run in a process group of our own, so a terminal's SIGINT/SIGHUP does not reach us; sent anyway, they are
    // ignored: the parent decides. Listening here also keeps the shm layer's exit hook from acting.
    process.on('SIGINT', () => {});
    process.on('SIGHUP', () => {});
    // SIGTERM is also what the kernel sends when the parent dies (by then we have been reparented).
    process.on('SIGTERM', () => void this.shutdown(process.ppid === this.parentPid ? 'sigterm' : 'parent-gone'));
    process.on('disconnect', () => void this.shutdown('parent-gone'));
    process.on('uncaughtException', (err) => void this.crash(err));
    process.on('unhandledRejection', (reason) => void this.crash(reason));
    process.on('message', (msg: unknown) => {
      if (isToBackend(msg)) void this.onMessage(msg);
    });
    if (!watchParentDeath(this.parentPid, ORPHAN_EXIT_LIMIT_MS)) void this.shutdown('parent-gone');
  }

  /** Sends and waits until the message is written (so exit() does not cut it off), but never longer than 1 s. */
  private send(msg: ToFrontend): Promise<void> {
    return new Promise((resolve) => {
      if (!process.connected || !process.send) return resolve();
      setTimeout(resolve, SEND_FLUSH_LIMIT_MS).unref();
      try {
        process.send(msg, undefined, {}, () => resolve());
      } catch {
        resolve();
      }
    });
  }

  private async onMessage(msg: ToBackend): Promise<void> {
    switch (msg.t) {
      case 'init':
        if (msg.protocol !== PROTOCOL_VERSION) return this.refuseProtocol(msg.protocol);
        return this.init(msg.moduleUrl, msg.exportName, msg.options);
      case 'call':
        return this.call(msg.id, msg.method, msg.args);
      case 'stop':
        return this.shutdown('stop');
    }
  }

  private async refuseProtocol(theirs: unknown): Promise<void> {
    const spoken = typeof theirs === 'number' ? `protocol ${theirs}` : 'an older protocol (no version in its init)';
    await this.send({
      t: 'start-failed',
      error: errorOf(
        'PROTOCOL_MISMATCH',
        `the backend runtime ${process.argv[1] ?? ''} speaks protocol ${PROTOCOL_VERSION}, ` +
          `its frontend speaks ${spoken}: they come ` +
          `from different framering versions; make the parent and the child load the same framering install`,
      ),
    });
    process.exit(1);
  }

  private async init(moduleUrl: string, exportName: string, options: unknown): Promise<void> {
    try {
      const cls = await loadProcessClass(moduleUrl, exportName);
      const name = (options as { name?: string } | undefined)?.name ?? exportName;
      process.title = `framering:${name}`;
      (globalThis as Record<symbol, unknown>)[CONSTRUCTING_BACKEND] = true;
      let instance: { [BACKEND_HOOKS]: () => BackendHooks };
      try {
        instance = new cls(options) as typeof instance;
      } finally {
        delete (globalThis as Record<symbol, unknown>)[CONSTRUCTING_BACKEND];
      }
      this.hooks = instance[BACKEND_HOOKS]();
      await this.hooks.start();
    } catch (err) {
      await this.send({ t: 'start-failed', error: serializeError(err) });
      await this.closeResources();
      process.exit(1);
    }
    this.started = true;
    if (this.shuttingDown) return; // a stop arrived during preRun: shutdown() is already running
    await this.send({ t: 'ready', pid: process.pid });
  }

  private async call(id: number, method: string, args: unknown[]): Promise<void> {
    let reply: ToFrontend;
    const hooks = this.hooks;
    if (!hooks || !this.started) {
      reply = {
        t: 'result',
        id,
        ok: false,
        error: errorOf('NOT_STARTED', `${method}() arrived before the backend finished preRun`),
      };
    } else if (this.shuttingDown) {
      reply = {
        t: 'result',
        id,
        ok: false,
        error: errorOf('STOPPED', `process '${hooks.processName}' is stopping; ${method}() was not run`),
      };
    } else {
      const refusal = hooks.refuseCall(method);
      if (refusal) {
        reply = { t: 'result', id, ok: false, error: errorOf('UNKNOWN_METHOD', refusal) };
      } else {
        try {
          reply = { t: 'result', id, ok: true, value: await hooks.invoke(method, args) };
        } catch (err) {
          reply = { t: 'result', id, ok: false, error: serializeError(err) };
        }
      }
    }
    if (!process.connected || !process.send) return;
    try {
      process.send(reply);
    } catch (err) {
      // Usually a value that cannot be structured-cloned (a function, a class instance with native handles…).
      const why = err instanceof Error ? err.message : String(err);
      process.send({
        t: 'result',
        id,
        ok: false,
        error: errorOf(
          'SEND_FAILED',
          `the return value of ${method}() could not be sent to the frontend (${why}); return plain data`,
        ),
      } satisfies ToFrontend);
    }
  }

  /** Every way out goes through here once: postRun (when preRun finished), close rings, tell the parent, exit. */
  private async shutdown(reason: ShutdownReason): Promise<void> {
    // Our loop is alive (also when a stop is already under way): the watchdog gives us the full limit.
    if (reason === 'parent-gone') acknowledgeOrphan();
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    let postRunError: SerializedError | undefined;
    if (this.hooks && this.started) {
      try {
        const limit = reason === 'parent-gone' ? ORPHAN_POSTRUN_LIMIT_MS : undefined;
        await withLimit(this.hooks.postRun(), limit, 'postRun');
      } catch (err) {
        postRunError = serializeError(err);
        if (reason === 'parent-gone')
          console.error(`framering process '${this.hooks.processName}': postRun failed after the parent died:`, err);
      }
    }
    await this.closeResources();
    await this.send({ t: 'stopped', postRunError });
    process.exit(postRunError ? 1 : 0);
  }

  private async crash(err: unknown): Promise<void> {
    const name = this.hooks?.processName ?? 'unknown';
    console.error(`framering process '${name}': uncaught error in the backend, exiting:`, err);
    if (this.crashing) process.exit(1); // a second error while closing after the first one
    this.crashing = true;
    this.shuttingDown = true;
    await this.send({ t: 'crash', error: serializeError(err) });
    await this.closeResources();
    process.exit(1);
  }

  private async closeResources(): Promise<void> {
    if (!this.hooks) return;
    try {
      await withLimit(this.hooks.teardown(), TEARDOWN_LIMIT_MS, 'closing the rings');
    } catch (err) {
      console.error(`framering process '${this.hooks.processName}': teardown failed:`, err);
    }
  }
}

function errorOf(code: ProcessErrorCode, message: string): SerializedError {
  return { name: 'ProcessError', message, code };
}

async function withLimit<T>(work: Promise<T>, limitMs: number | undefined, what: string): Promise<T> {
  if (limitMs === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProcessError('TIMEOUT', `${what} did not finish within ${limitMs} ms`)),
      limitMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type ProcessClass = new (options: unknown) => unknown;

async function loadProcessClass(moduleUrl: string, exportName: string): Promise<ProcessClass> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ProcessError('START_FAILED', `could not import the process module ${moduleUrl}: ${why}`, { cause: err });
  }
  const cls = mod[exportName];
  if (typeof cls !== 'function') {
    const exported = Object.keys(mod).filter(
      (k) => typeof mod[k] === 'function' && (mod[k] as unknown as Record<symbol, unknown>)[PROCESS_CLASS_BRAND],
    );
    throw new ProcessError(
      'START_FAILED',
      `module ${moduleUrl} has no export named '${exportName}' ` +
        `(process classes it exports: ${exported.join(', ') || 'none'}); ` +
        `export the class under its own name, or set a static exportName on it`,
    );
  }
  if (!(cls as unknown as Record<symbol, unknown>)[PROCESS_CLASS_BRAND]) {
    throw new ProcessError('START_FAILED', `export '${exportName}' of ${moduleUrl} is not a MessageProcess subclass`);
  }
  return cls as ProcessClass;
}
