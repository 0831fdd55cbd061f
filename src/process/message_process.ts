// MessageProcess: one class, two halves. The object a user creates in the parent is the frontend; start() forks
// the backend runtime, which imports the class's module and constructs the same class in backend mode. Frontend →
// backend: typed async calls through `p.backend.method(...)`. Backend → frontend: `this.sendOut(name, payload)`,
// received with `p.on(name, ...)`.

import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import type { BackendApi, BackendMethodName, LifecycleHookName, RemoteMethod } from './backend_api.js';
import type { BackendHooks } from './backend_host.js';
import { removeRingsOfDeadWriters } from './dead_writer_rings.js';
import { resolveForkSpec } from './fork_spec.js';
import { abortError, checkTimeout, PendingCalls, type CallOptions } from './pending_calls.js';
import { killProcessTree } from './process_tree.js';
import {
  BACKEND_HOOKS,
  CONSTRUCTING_BACKEND,
  FRONTEND_ONLY,
  PROCESS_CLASS_BRAND,
  SETUP_BACKEND,
  TEARDOWN_BACKEND,
} from './internal_symbols.js';
import { BackendError, ProcessError, serializeError, type SerializedError } from './process_error.js';
import { isToFrontend, PROTOCOL_VERSION, type ToBackend, type ToFrontend } from './protocol.js';

export interface MessageProcessOptions {
  /** Shown in errors, events, `ps` (process title framering:<name>) and ring names. [A-Za-z0-9._-], 1..64 chars. Default: the class name. */
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
  /** How long stop()/waitStop() wait for postRun and the exit before they kill the child and all it started. Default 10 000. */
  stopTimeoutMs?: number;
  /** How long a backend call waits for its reply before it rejects with RPC_TIMEOUT. Infinity: no limit. Default 30 000. */
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

/** Event names the framework emits on the frontend itself; sendOut() refuses them. */
const RESERVED_EVENTS = new Set(['exit', 'error', 'newListener', 'removeListener']);
const LIFECYCLE_HOOKS: ReadonlySet<string> = new Set<LifecycleHookName>([
  'preRun',
  'postRun',
  'handleFrame',
  'handleMessage',
  'handleRingGone',
  'handleMasterGone',
]);
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const KILL_WAIT_MS = 5000;
const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export interface MessageProcess {
  on(event: 'exit', listener: (info: ExitInfo) => void): this;
  on(event: string, listener: (payload: any) => void): this;
  once(event: 'exit', listener: (info: ExitInfo) => void): this;
  once(event: string, listener: (payload: any) => void): this;
}

export class MessageProcess extends EventEmitter {
  static readonly [PROCESS_CLASS_BRAND] = true;
  /** Subclasses set `static moduleUrl = import.meta.url` in the module that defines and exports them. */
  static moduleUrl?: string;
  /** Export name of the class in its module, when it differs from the class name. */
  static exportName?: string;
  /** Public methods that run in the frontend and so may not be called through `p.backend` (see MasterProcess). */
  static frontendMethods: readonly string[] = [];
  declare readonly [FRONTEND_ONLY]?: {};

  readonly name: string;
  readonly options: MessageProcessOptions;
  /** true in the forked child, false in the parent. */
  readonly isBackend: boolean;

  // frontend state
  private child: ChildProcess | null = null;
  private startSettlers: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private stateValue: ProcessState = 'new';
  private readonly pending: PendingCalls;
  private readonly callTimeoutMs: number;
  private helloSeen = false;
  private stopRequested = false;
  private killedAfterTimeout = false;
  private lastError: SerializedError | undefined;
  private exitInfoValue: ExitInfo | null = null;
  private exitWaiters: Array<(info: ExitInfo) => void> = [];
  private backendProxy: BackendApi<this> | null = null;
  private backendPid: number | null = null;

  // backend state
  private tornDown = false;

  constructor(options: MessageProcessOptions = {}) {
    super();
    const marker = globalThis as Record<symbol, unknown>;
    this.isBackend = marker[CONSTRUCTING_BACKEND] === true;
    // Consume the marker: a process the backend itself creates (nested) is a frontend.
    delete marker[CONSTRUCTING_BACKEND];
    if (typeof options !== 'object' || options === null) {
      throw new ProcessError('INVALID_ARGUMENT', `${new.target.name}: options must be an object, got ${options === null ? 'null' : typeof options}`);
    }
    this.options = options;
    this.name = options.name ?? new.target.name;
    if (!NAME_PATTERN.test(this.name)) {
      throw new ProcessError('INVALID_ARGUMENT', `process name '${this.name}' is not valid: use 1..64 characters from A-Z a-z 0-9 . _ -`);
    }
    this.callTimeoutMs = checkTimeout(options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, `process '${this.name}': callTimeoutMs`);
    this.pending = new PendingCalls(this.name);
  }

  /**
   * console.log(p) for every process class: the options (env, execArgv, a subclass's own: camera URLs, tokens…) and
   * the child (its spawnargs) may hold secrets, so only what identifies the process is shown.
   */
  [inspect.custom](_depth: number, options: object): string {
    const view = { name: this.name, state: this.stateValue, pid: this.isBackend ? process.pid : this.pid, side: this.isBackend ? 'backend' : 'frontend' };
    return `${this.constructor.name} ${inspect(view, options)}`;
  }

  // ---------------------------------------------------------------- lifecycle hooks (backend; override these)

  /** Runs in the backend before start() resolves: open files, load models, activate rings. */
  protected async preRun(): Promise<void> {}

  /** Runs in the backend on stop(), before the framework closes the rings. */
  protected async postRun(): Promise<void> {}

  // ---------------------------------------------------------------- frontend

  get state(): ProcessState {
    return this.stateValue;
  }

  /** Pid of the backend child once forked, else null. */
  get pid(): number | null {
    return this.backendPid ?? this.child?.pid ?? null;
  }

  /** How the backend ended; null while it has not. */
  get exitInfo(): ExitInfo | null {
    return this.exitInfoValue;
  }

  /**
   * Typed calls into the backend: `await p.backend.myMethod(21)` runs `myMethod(21)` in the child and resolves with
   * its return value, or rejects with a BackendError carrying the backend's message, stack and code.
   */
  get backend(): BackendApi<this> {
    this.assertFrontend('backend');
    if (!this.backendProxy) {
      this.backendProxy = new Proxy({} as BackendApi<this>, {
        get: (_target, prop) => {
          // `then` must stay undefined, or `await p.backend` would treat the proxy as a promise.
          if (typeof prop !== 'string' || prop === 'then') return undefined;
          return (...args: unknown[]) => this.invokeRemote(prop, args);
        },
      });
    }
    return this.backendProxy;
  }

  /**
   * `p.backend` with per-call settings: `await p.backendWith({ timeoutMs: 2000, signal }).slowMethod()` rejects with
   * RPC_TIMEOUT after 2 s, or with an AbortError (code ABORTED) when `signal` fires first.
   */
  backendWith(options: CallOptions): BackendApi<this> {
    this.assertFrontend('backendWith');
    const call = this.checkCallOptions(options);
    return new Proxy({} as BackendApi<this>, {
      get: (_target, prop) => {
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        return (...args: unknown[]) => this.invokeRemote(prop, args, call);
      },
    });
  }

  /** How many backend calls await their reply (timed-out and aborted calls are no longer counted). */
  get pendingCalls(): number {
    return this.pending.size;
  }

  /** The same as `p.backend[method](...args)`, for method names held in a variable. */
  call<K extends BackendMethodName<this>>(method: K, ...args: Parameters<RemoteMethod<this[K]>>): ReturnType<RemoteMethod<this[K]>> {
    this.assertFrontend('call');
    return this.invokeRemote(method, args) as ReturnType<RemoteMethod<this[K]>>;
  }

  /** Forks the backend and resolves once its preRun has finished. */
  async start(): Promise<void> {
    this.assertFrontend('start');
    if (this.stateValue !== 'new') {
      throw new ProcessError(
        this.stateValue === 'exited' ? 'STOPPED' : 'ALREADY_STARTED',
        `process '${this.name}' was already started (state: ${this.stateValue}); a process runs once, create a new object to run it again`,
      );
    }
    const ctor = this.constructor as typeof MessageProcess;
    const moduleUrl = this.options.moduleUrl ?? (Object.prototype.hasOwnProperty.call(ctor, 'moduleUrl') ? ctor.moduleUrl : undefined);
    if (!moduleUrl) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `process class ${ctor.name} does not say where it is defined: add \`static moduleUrl = import.meta.url;\` to the class ` +
          `(in the module that defines and exports it), or pass the moduleUrl option`,
      );
    }
    const exportName =
      this.options.exportName ?? (Object.prototype.hasOwnProperty.call(ctor, 'exportName') ? ctor.exportName : undefined) ?? ctor.name;
    const spec = resolveForkSpec(ctor.name, moduleUrl, exportName, this.options.execArgv);

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
      env: { ...process.env, ...this.options.env, FRAMERING_PROCESS_NAME: this.name, FRAMERING_PARENT_PID: String(process.pid) },
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

    const init: ToBackend = { t: 'init', protocol: PROTOCOL_VERSION, moduleUrl: spec.moduleUrl, exportName, options: this.options };
    try {
      child.send(init);
    } catch (err) {
      child.kill('SIGKILL');
      const why = err instanceof Error ? err.message : String(err);
      throw new ProcessError('INVALID_ARGUMENT', `options of process '${this.name}' cannot be sent to the backend (${why}): use plain data`);
    }

    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      this.startSettlers?.reject(
        new ProcessError('TIMEOUT', `process '${this.name}' did not finish starting (module load + preRun) within ${timeoutMs} ms; it was killed`),
      );
      this.startSettlers = null;
      this.killTree();
    }, timeoutMs);
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
  }
  /** Asks the backend to stop (postRun, close rings, exit) without waiting; pair with waitStop(). */
  requestStop(): void {
    this.assertFrontend('requestStop');
    this.stopRequested = true;
    if (this.stateValue === 'new') {
      this.stateValue = 'exited';
      this.exitInfoValue = { code: null, signal: null, requested: true, killed: false, removedRings: [] };
      return;
    }
    if (this.stateValue !== 'starting' && this.stateValue !== 'running') return;
    this.stateValue = 'stopping';
    this.sendToChild({ t: 'stop' });
  }

  /**
   * Waits for the backend to exit. After timeoutMs it SIGKILLs the backend's process group and every process the
   * backend started (also those in groups of their own), so nothing it ran outlives a stop.
   */
  async waitStop(timeoutMs = this.options.stopTimeoutMs ?? 10_000): Promise<ExitInfo> {
    this.assertFrontend('waitStop');
    if (this.exitInfoValue) return this.exitInfoValue;
    if (!this.child) throw new ProcessError('NOT_STARTED', `process '${this.name}' was never started; nothing to wait for`);
    const exited = this.waitExit(timeoutMs);
    const info = await exited;
    if (info) return info;
    this.killedAfterTimeout = true;
    this.killTree();
    const afterKill = await this.waitExit(KILL_WAIT_MS);
    if (afterKill) return afterKill;
    throw new ProcessError('TIMEOUT', `process '${this.name}' (pid ${this.child.pid}) did not exit even after SIGKILL`);
  }

  /** stop() = requestStop() + waitStop(): postRun runs in the backend, rings close, the child exits. */
  async stop(timeoutMs?: number): Promise<ExitInfo> {
    this.requestStop();
    return this.waitStop(timeoutMs);
  }

  /** Sends a signal to the backend (default SIGKILL): for emergencies and tests; prefer stop(). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.assertFrontend('kill');
    if (this.child && !this.exitInfoValue) this.child.kill(signal);
  }

  /** SIGKILL for the backend's process group and all its descendants (while it has not been reaped). */
  private killTree(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.exitInfoValue) return;
    killProcessTree(pid);
  }

  private checkCallOptions(options: CallOptions): { timeoutMs: number; signal?: AbortSignal } {
    if (typeof options !== 'object' || options === null) {
      throw new ProcessError('INVALID_ARGUMENT', `backendWith(options) of process '${this.name}': options must be an object { timeoutMs?, signal? }`);
    }
    const timeoutMs = options.timeoutMs === undefined ? this.callTimeoutMs : checkTimeout(options.timeoutMs, `backendWith({ timeoutMs }) of process '${this.name}'`);
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw new ProcessError('INVALID_ARGUMENT', `backendWith({ signal }) of process '${this.name}': signal must be an AbortSignal (new AbortController().signal)`);
    }
    return { timeoutMs, signal: options.signal };
  }

  private waitExit(timeoutMs: number): Promise<ExitInfo | null> {
    if (this.exitInfoValue) return Promise.resolve(this.exitInfoValue);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.exitWaiters = this.exitWaiters.filter((w) => w !== waiter);
        resolve(null);
      }, timeoutMs);
      const waiter = (info: ExitInfo) => {
        clearTimeout(timer);
        resolve(info);
      };
      this.exitWaiters.push(waiter);
    });
  }

  private invokeRemote(method: string, args: unknown[], options: { timeoutMs: number; signal?: AbortSignal } = { timeoutMs: this.callTimeoutMs }): Promise<unknown> {
    if (this.stateValue !== 'running') {
      const err =
        this.stateValue === 'new' || this.stateValue === 'starting'
          ? new ProcessError('NOT_STARTED', `cannot call ${method}(): process '${this.name}' is ${this.stateValue === 'new' ? 'not started' : 'still starting'}; await start() first`)
          : new ProcessError(
              'STOPPED',
              `cannot call ${method}(): process '${this.name}' ${this.stateValue === 'stopping' ? 'is stopping' : `has ended (${this.describeExit()})`}; a process runs once, create a new object to run it again`,
            );
      return Promise.reject(err);
    }
    if (options.signal?.aborted) return Promise.reject(abortError(method, this.name, options.signal.reason));
    const { id, result } = this.pending.open(method, options.timeoutMs, options.signal);
    const sent = this.sendToChild({ t: 'call', id, method, args });
    if (sent) {
      this.pending.fail(
        id,
        this.child?.connected
          ? new ProcessError('SEND_FAILED', `arguments of ${method}() could not be sent to process '${this.name}' (${sent}); use plain data`)
          : new ProcessError('BACKEND_EXITED', `cannot call ${method}(): the backend of process '${this.name}' has gone (its IPC channel is closed)`),
      );
    }
    return result;
  }

  /** Returns why the message could not be sent, or null. */
  private sendToChild(msg: ToBackend): string | null {
    if (!this.child || !this.child.connected) return 'the backend is not connected';
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
        this.startSettlers?.reject(new ProcessError(code, `process '${this.name}' failed to start: ${msg.error.message}`, { cause }));
        this.startSettlers = null;
        return;
      }
      case 'result': {
        // A reply whose call timed out or was aborted finds nothing here and is dropped.
        if (msg.ok) this.pending.settle(msg.id, { ok: true, value: msg.value });
        else this.pending.settle(msg.id, { ok: false, error: (method) => new BackendError(this.name, method, msg.error) });
        return;
      }
      case 'event':
        this.emit(msg.name, msg.payload);
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
    const info: ExitInfo = { code, signal, requested: this.stopRequested, killed: this.killedAfterTimeout, removedRings: this.removeLeftRings() };
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
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const waiter of waiters) waiter(info);
    this.emit('exit', info);
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
    const theirs = protocol === undefined ? `an older protocol without a hello (its first message was '${msg.t}')` : `protocol ${protocol}`;
    const runtime = msg.t === 'hello' ? msg.runtime : 'its runtime';
    const err = new ProcessError(
      'PROTOCOL_MISMATCH',
      `process '${this.name}': the backend (${runtime}) speaks ${theirs}, this frontend speaks protocol ${PROTOCOL_VERSION}: ` +
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

  private describeExit(): string {
    const info = this.exitInfoValue;
    if (!info) return 'not running';
    const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
    return info.error ? `${how} (${info.error.name}: ${info.error.message})` : how;
  }

  protected assertFrontend(what: string): void {
    if (this.isBackend) {
      throw new ProcessError('WRONG_SIDE', `${what} is a frontend operation and cannot be used inside the backend of process '${this.name}'`);
    }
  }

  // ---------------------------------------------------------------- backend

  /**
   * Sends an event to the frontend, where `p.on(name, listener)` receives the payload (structured-cloned).
   * Returns false when the parent is gone and the event was dropped.
   */
  protected sendOut(name: string, payload?: unknown): boolean {
    this.assertBackend('sendOut');
    if (typeof name !== 'string' || name.length === 0 || RESERVED_EVENTS.has(name)) {
      throw new ProcessError('INVALID_ARGUMENT', `sendOut: event name must be a non-empty string other than ${[...RESERVED_EVENTS].join(', ')}; got ${String(name)}`);
    }
    if (!process.connected || !process.send) return false;
    try {
      process.send({ t: 'event', name, payload } satisfies ToFrontend);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new ProcessError('SEND_FAILED', `sendOut('${name}'): the payload cannot be sent to the frontend (${why}); use plain data`);
    }
    return true;
  }

  protected assertBackend(what: string): void {
    if (!this.isBackend) {
      throw new ProcessError(
        'WRONG_SIDE',
        `${what}() runs in the backend of process '${this.name}'; from the frontend use p.backend.${what}(...) after start()`,
      );
    }
  }

  /** Framework setup before preRun; subclasses in this package extend it (calling super). */
  protected async [SETUP_BACKEND](): Promise<void> {}

  /** Framework teardown after postRun (and on every other way out): closes what the class owns. */
  protected async [TEARDOWN_BACKEND](): Promise<void> {}

  [BACKEND_HOOKS](): BackendHooks {
    this.assertBackend('backend hooks');
    return {
      processName: this.name,
      start: async () => {
        await this[SETUP_BACKEND]();
        await this.preRun();
      },
      postRun: () => this.postRun(),
      teardown: async () => {
        if (this.tornDown) return;
        this.tornDown = true;
        await this[TEARDOWN_BACKEND]();
      },
      refuseCall: (method) => this.refuseCall(method),
      invoke: async (method, args) => (this as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args),
    };
  }

  private refuseCall(method: string): string | null {
    const where = `process '${this.name}' (class ${this.constructor.name})`;
    if (typeof method !== 'string' || method.length === 0) return `invalid method name ${String(method)}`;
    if (method.startsWith('_') || method === 'constructor' || method in MessageProcess.prototype || LIFECYCLE_HOOKS.has(method)) {
      return `${method} is not callable from the frontend of ${where}: it is part of the process machinery or a lifecycle hook`;
    }
    for (let c = this.constructor as typeof MessageProcess | null; c && c !== MessageProcess; c = Object.getPrototypeOf(c)) {
      if (Object.prototype.hasOwnProperty.call(c, 'frontendMethods') && c.frontendMethods.includes(method)) {
        return `${method}() runs in the frontend of ${where}; call it on the process object in the parent, not through p.backend`;
      }
    }
    // Look at the descriptor, not the value: reading a getter here could run frontend-only code.
    let descriptor: PropertyDescriptor | undefined;
    for (let o: object | null = this; o && !descriptor; o = Object.getPrototypeOf(o)) descriptor = Object.getOwnPropertyDescriptor(o, method);
    if (!descriptor || typeof descriptor.value !== 'function') return `${where} has no backend method ${method}()`;
    return null;
  }
}
