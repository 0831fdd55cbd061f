// The frontend's handle on its forked backend: forks the runtime, checks the protocol handshake, drives the state
// machine (new → starting → running → stopping → exited), sends calls and matches their replies, and reports the
// exit. It knows nothing of the user's class: MessageProcess tells it what to load and hears back through `events`.

import { fork, type ChildProcess } from 'node:child_process';
import { removeRingsOfDeadWriters } from './dead_writer_rings.js';
import type { ForkSpec } from './fork_spec.js';
import { callAbortError, PendingCalls } from './pending_calls.js';
import { BackendError, ProcessError, serializeError, type SerializedError } from './process_error.js';
import type { ExitInfo, MessageProcessOptions, ProcessState } from './process_options.js';
import { killProcessTree } from './process_tree.js';
import { isToFrontend, PROTOCOL_VERSION, type ToBackend, type ToFrontend } from './protocol.js';
import { abortError, MAX_TIMER_MS } from './wait_options.js';

const KILL_WAIT_MS = 5000;

/** Where the child's news goes: its events (sendOut) and its exit. */
export interface BackendChildEvents {
  event(name: string, payload: unknown): void;
  exit(info: ExitInfo): void;
}

export class BackendChild {
  private child: ChildProcess | null = null;
  private startSettlers: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private stateValue: ProcessState = 'new';
  private readonly pending: PendingCalls;
  private helloSeen = false;
  private stopRequested = false;
  private killedAfterTimeout = false;
  private lastError: SerializedError | undefined;
  private exitInfoValue: ExitInfo | null = null;
  private exitWaiters: Array<(info: ExitInfo) => void> = [];
  private backendPid: number | null = null;

  constructor(
    private readonly name: string,
    private readonly events: BackendChildEvents,
  ) {
    this.pending = new PendingCalls(name);
  }

  get state(): ProcessState {
    return this.stateValue;
  }

  get pid(): number | null {
    return this.backendPid ?? this.child?.pid ?? null;
  }

  get exitInfo(): ExitInfo | null {
    return this.exitInfoValue;
  }

  get pendingCalls(): number {
    return this.pending.size;
  }

  /** Forks the runtime, sends it what to load, and resolves once the backend reports ready (its preRun done). */
  async start(
    spec: ForkSpec,
    exportName: string,
    options: MessageProcessOptions,
    wait: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<void> {
    this.assertNew();
    if (wait.signal?.aborted) throw this.startAbortError(wait.signal.reason);
    this.stateValue = 'starting';
    const ready = new Promise<void>((resolve, reject) => {
      this.startSettlers = { resolve, reject };
    });
    // Avoid an unhandled rejection if the child dies before we await `ready` below.
    ready.catch(() => {});
    const child = fork(spec.runtimePath, [], {
      execArgv: spec.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group (and session): a stop that times out kills the group, the backend with whatever it
      // started, and a terminal's Ctrl-C reaches only us, who coordinate the shutdown.
      detached: true,
      // The parent it watches (kernel death signal): the pid it should see as its parent, to spot a parent that
      // died before the watch was set.
      env: {
        ...process.env,
        ...options.env,
        FRAMERING_PROCESS_NAME: this.name,
        FRAMERING_PARENT_PID: String(process.pid),
      },
    });
    this.child = child;
    child.on('message', (msg: unknown) => {
      if (isToFrontend(msg)) this.onBackendMessage(msg);
    });
    child.on('exit', (code, signal) => this.onChildExit(code, signal));
    child.on('error', (err) => {
      // Spawn failures and IPC write errors; an exit event follows when the child existed at all.
      this.lastError ??= serializeError(err);
      if (child.pid === undefined) this.onChildExit(null, null);
    });

    const init: ToBackend = { t: 'init', protocol: PROTOCOL_VERSION, moduleUrl: spec.moduleUrl, exportName, options };
    try {
      child.send(init);
    } catch (err) {
      child.kill('SIGKILL');
      const why = err instanceof Error ? err.message : String(err);
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `options of process '${this.name}' cannot be sent to the backend (${why}): use plain data`,
      );
    }

    // A start that takes too long or is aborted kills the child and all it started: nothing half-started stays.
    const giveUp = (err: Error): void => {
      this.startSettlers?.reject(err);
      this.startSettlers = null;
      this.killTree();
    };
    const timer =
      wait.timeoutMs <= MAX_TIMER_MS
        ? setTimeout(
            () =>
              giveUp(
                new ProcessError(
                  'TIMEOUT',
                  `process '${this.name}' did not finish starting (module load + preRun) ` +
                    `within ${wait.timeoutMs} ms; it was killed`,
                ),
              ),
            wait.timeoutMs,
          )
        : undefined;
    const onAbort = (): void => giveUp(this.startAbortError(wait.signal!.reason));
    wait.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await ready;
    } finally {
      clearTimeout(timer);
      wait.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Throws unless the process was never started: a process runs once. */
  assertNew(): void {
    if (this.stateValue !== 'new') {
      throw new ProcessError(
        this.stateValue === 'exited' ? 'STOPPED' : 'ALREADY_STARTED',
        `process '${this.name}' was already started (state: ${this.stateValue}); ` +
          `a process runs once, create a new object to run it again`,
      );
    }
  }

  /** Asks the backend to stop (postRun, close rings, exit) without waiting. */
  requestStop(): void {
    this.stopRequested = true;
    if (this.stateValue === 'new') {
      this.stateValue = 'exited';
      this.exitInfoValue = { code: null, signal: null, requested: true, killed: false, removedRings: [] };
      return;
    }
    if (this.stateValue !== 'starting' && this.stateValue !== 'running') return;
    this.stateValue = 'stopping';
    this.send({ t: 'stop' });
  }

  /**
   * Waits for the exit; after timeoutMs kills the backend's tree. An abort ends only this wait: the stop goes on, and
   * the backend is not killed for it.
   */
  async waitStop(wait: { timeoutMs: number; signal?: AbortSignal }): Promise<ExitInfo> {
    if (this.exitInfoValue) return this.exitInfoValue;
    if (!this.child)
      throw new ProcessError('NOT_STARTED', `process '${this.name}' was never started; nothing to wait for`);
    const { signal } = wait;
    if (signal?.aborted) throw this.waitStopAbortError(signal.reason);
    const info = await this.waitExit(wait.timeoutMs, signal);
    if (info) return info;
    if (signal?.aborted) throw this.waitStopAbortError(signal.reason);
    this.killedAfterTimeout = true;
    this.killTree();
    const afterKill = await this.waitExit(KILL_WAIT_MS);
    if (afterKill) return afterKill;
    throw new ProcessError('TIMEOUT', `process '${this.name}' (pid ${this.child.pid}) did not exit even after SIGKILL`);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child && !this.exitInfoValue) this.child.kill(signal);
  }

  /** Sends one call and returns the promise of its reply; refused at once unless the process is running. */
  call(method: string, args: unknown[], wait: { timeoutMs: number; signal?: AbortSignal }): Promise<unknown> {
    if (this.stateValue !== 'running') {
      const err =
        this.stateValue === 'new' || this.stateValue === 'starting'
          ? new ProcessError(
              'NOT_STARTED',
              `cannot call ${method}(): process '${this.name}' ` +
                `is ${this.stateValue === 'new' ? 'not started' : 'still starting'}; await start() first`,
            )
          : new ProcessError(
              'STOPPED',
              `cannot call ${method}(): process '${this.name}' ` +
                `${this.stateValue === 'stopping' ? 'is stopping' : `has ended (${this.describeExit()})`}; ` +
                `a process runs once, create a new object to run it again`,
            );
      return Promise.reject(err);
    }
    if (wait.signal?.aborted) return Promise.reject(callAbortError(method, this.name, wait.signal.reason));
    const { id, result } = this.pending.open(method, wait.timeoutMs, wait.signal);
    const sent = this.send({ t: 'call', id, method, args });
    if (sent) {
      this.pending.fail(
        id,
        this.child?.connected
          ? new ProcessError(
              'SEND_FAILED',
              `arguments of ${method}() could not be sent to process '${this.name}' (${sent}); use plain data`,
            )
          : new ProcessError(
              'BACKEND_EXITED',
              `cannot call ${method}(): the backend of process '${this.name}' has gone (its IPC channel is closed)`,
            ),
      );
    }
    return result;
  }

  /** How it ended, for error messages: "exited with code 1 (Error: boom)". */
  describeExit(): string {
    const info = this.exitInfoValue;
    if (!info) return 'not running';
    const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
    return info.error ? `${how} (${info.error.name}: ${info.error.message})` : how;
  }

  /** SIGKILL for the backend's process group and all its descendants (while it has not been reaped). */
  private killTree(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.exitInfoValue) return;
    killProcessTree(pid);
  }

  /** Resolves with the exit, or null after timeoutMs or once the signal fires. */
  private waitExit(timeoutMs: number, signal?: AbortSignal): Promise<ExitInfo | null> {
    if (this.exitInfoValue) return Promise.resolve(this.exitInfoValue);
    return new Promise((resolve) => {
      const done = (info: ExitInfo | null): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.exitWaiters = this.exitWaiters.filter((w) => w !== waiter);
        resolve(info);
      };
      const waiter = (info: ExitInfo): void => done(info);
      const onAbort = (): void => done(null);
      const timer = timeoutMs <= MAX_TIMER_MS ? setTimeout(() => done(null), timeoutMs) : undefined;
      signal?.addEventListener('abort', onAbort, { once: true });
      this.exitWaiters.push(waiter);
    });
  }

  /** Returns why the message could not be sent, or null. */
  private send(msg: ToBackend): string | null {
    if (!this.child?.connected) return 'the backend is not connected';
    try {
      this.child.send(msg);
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private onBackendMessage(msg: ToFrontend): void {
    if (!this.helloSeen && !this.checkHello(msg)) return;
    switch (msg.t) {
      case 'hello':
        return;
      case 'ready':
        this.backendPid = msg.pid;
        if (this.stateValue === 'starting') this.stateValue = 'running';
        this.startSettlers?.resolve();
        this.startSettlers = null;
        return;
      case 'start-failed': {
        this.lastError = msg.error;
        const cause = new BackendError(this.name, 'start', msg.error);
        const code = msg.error.code === 'PROTOCOL_MISMATCH' ? 'PROTOCOL_MISMATCH' : 'START_FAILED';
        this.startSettlers?.reject(
          new ProcessError(code, `process '${this.name}' failed to start: ${msg.error.message}`, { cause }),
        );
        this.startSettlers = null;
        return;
      }
      case 'result': {
        // A reply whose call timed out or was aborted finds nothing here and is dropped.
        if (msg.ok) this.pending.settle(msg.id, { ok: true, value: msg.value });
        else
          this.pending.settle(msg.id, { ok: false, error: (method) => new BackendError(this.name, method, msg.error) });
        return;
      }
      case 'event':
        this.events.event(msg.name, msg.payload);
        return;
      case 'stopped':
        if (msg.postRunError) this.lastError = msg.postRunError;
        return;
      case 'crash':
        this.lastError = msg.error;
        return;
    }
  }

  private onChildExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitInfoValue) return;
    this.stateValue = 'exited';
    const info: ExitInfo = {
      code,
      signal,
      requested: this.stopRequested,
      killed: this.killedAfterTimeout,
      removedRings: this.removeLeftRings(),
    };
    if (this.lastError) info.error = this.lastError;
    this.exitInfoValue = info;
    const why = this.describeExit();
    if (this.startSettlers) {
      const err = this.stopRequested
        ? new ProcessError('STOPPED', `process '${this.name}' was stopped before start() finished`)
        : new ProcessError('BACKEND_EXITED', `process '${this.name}' ${why} during start()`);
      this.startSettlers.reject(err);
      this.startSettlers = null;
    }
    this.pending.failAll((method) =>
      this.stopRequested
        ? new ProcessError('STOPPED', `process '${this.name}' stopped while ${method}() was pending`)
        : new ProcessError('BACKEND_EXITED', `process '${this.name}' ${why} while ${method}() was pending`),
    );
    for (const waiter of [...this.exitWaiters]) waiter(info);
    this.events.exit(info);
  }

  /**
   * The runtime's first message must be a 'hello' in our protocol. Anything else is a runtime from another framering
   * version (an older one sends no hello): stop it now rather than wait out the start timeout.
   */
  private checkHello(msg: ToFrontend): boolean {
    const protocol = msg.t === 'hello' ? msg.protocol : undefined;
    if (protocol === PROTOCOL_VERSION) {
      this.helloSeen = true;
      return true;
    }
    const theirs =
      protocol === undefined
        ? `an older protocol without a hello (its first message was '${msg.t}')`
        : `protocol ${protocol}`;
    const runtime = msg.t === 'hello' ? msg.runtime : 'its runtime';
    const err = new ProcessError(
      'PROTOCOL_MISMATCH',
      `process '${this.name}': the backend (${runtime}) speaks ${theirs}, ` +
        `this frontend speaks protocol ${PROTOCOL_VERSION}: ` +
        `they come from different framering versions. Make the parent and the child load the same framering install ` +
        `(look for two copies in node_modules, or rebuild a stale dist/ with npm run build)`,
    );
    this.lastError ??= { name: err.name, message: err.message, code: err.code };
    this.startSettlers?.reject(err);
    this.startSettlers = null;
    this.killTree();
    return false;
  }

  /** The child is reaped: whatever rings it still owned in /dev/shm nobody will close, so they go now. */
  private removeLeftRings(): string[] {
    const pids = new Set<number>();
    if (this.child?.pid !== undefined) pids.add(this.child.pid);
    if (this.backendPid !== null) pids.add(this.backendPid);
    if (pids.size === 0) return [];
    try {
      return removeRingsOfDeadWriters(pids);
    } catch {
      // Reading /dev/shm failed: the cleanup tool can still remove them; the exit must be reported regardless.
      return [];
    }
  }

  private startAbortError(reason: unknown): ProcessError {
    return abortError(`start() of process '${this.name}'`, reason, 'the backend was killed with everything it started');
  }

  private waitStopAbortError(reason: unknown): ProcessError {
    return abortError(
      `waiting for process '${this.name}' to stop`,
      reason,
      'the stop goes on without this wait (call waitStop() again, or kill() it)',
    );
  }
}
