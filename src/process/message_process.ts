// MessageProcess: one class, two halves. The object a user creates in the parent is the frontend; start() forks
// the backend runtime, which imports the class's module and constructs the same class in backend mode. Frontend →
// backend: typed async calls through `p.backend.method(...)`. Backend → frontend: `this.sendOut(name, payload)`,
// received with `p.on(name, ...)`. This file is the public face and the wiring; the parts live in their own files
// (README.md, "Life of one call"): backend_proxy (p.backend), backend_child (fork, state, calls, exit), pending_calls
// (replies, timeouts, aborts), backend_host (the child side), call_rules, backend_events (sendOut), process_events.

import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import type { BackendApi, BackendMethodName, RemoteMethod } from './backend_api.js';
import { BackendChild } from './backend_child.js';
import { sendEventToFrontend } from './backend_events.js';
import type { BackendHooks } from './backend_host.js';
import { createBackendProxy } from './backend_proxy.js';
import { eventsOf, nextEventOf } from './event_waits.js';
import { refuseCall } from './call_rules.js';
import { resolveForkSpec } from './fork_spec.js';
import {
  BACKEND_HOOKS,
  FRONTEND_ONLY,
  PROCESS_CLASS_BRAND,
  SETUP_BACKEND,
  TEARDOWN_BACKEND,
} from './internal_symbols.js';
import { ProcessError } from './process_error.js';
import type {
  AnyEvents,
  EventArgs,
  EventListener,
  EventName,
  FrontendEvents,
  ProcessEventMap,
} from './process_events.js';
import {
  checkProcessOptions,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  type ExitInfo,
  type MessageProcessOptions,
  type ProcessState,
} from './process_options.js';
import { backendOnlyError, frontendOnlyError, takeBackendMarker } from './process_side.js';
import { checkTimeout, checkWaitOptions, type ProcessWaitOptions } from './wait_options.js';

export type { ExitInfo, MessageProcessOptions, ProcessState } from './process_options.js';

/** The typed listener methods; the implementations are EventEmitter's. */
export interface MessageProcess<Events extends ProcessEventMap<Events> = AnyEvents> {
  on<K extends EventName<FrontendEvents<Events>>>(event: K, listener: EventListener<FrontendEvents<Events>, K>): this;
  once<K extends EventName<FrontendEvents<Events>>>(event: K, listener: EventListener<FrontendEvents<Events>, K>): this;
  off<K extends EventName<FrontendEvents<Events>>>(event: K, listener: EventListener<FrontendEvents<Events>, K>): this;
  addListener<K extends EventName<FrontendEvents<Events>>>(
    event: K,
    listener: EventListener<FrontendEvents<Events>, K>,
  ): this;
  prependListener<K extends EventName<FrontendEvents<Events>>>(
    event: K,
    listener: EventListener<FrontendEvents<Events>, K>,
  ): this;
  prependOnceListener<K extends EventName<FrontendEvents<Events>>>(
    event: K,
    listener: EventListener<FrontendEvents<Events>, K>,
  ): this;
  removeListener<K extends EventName<FrontendEvents<Events>>>(
    event: K,
    listener: EventListener<FrontendEvents<Events>, K>,
  ): this;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above only retypes on/once/off
export class MessageProcess<Events extends ProcessEventMap<Events> = AnyEvents> extends EventEmitter {
  static readonly [PROCESS_CLASS_BRAND] = true;
  /** Subclasses set `static moduleUrl = import.meta.url` in the module that defines and exports them. */
  static moduleUrl?: string;
  /** Export name of the class in its module, when it differs from the class name. */
  static exportName?: string;
  /** Public methods that run in the frontend and so may not be called through `p.backend` (see MasterProcess). */
  static frontendMethods: readonly string[] = [];
  // biome-ignore lint/complexity/noBannedTypes: a type-only brand; {} is the loosest object type
  declare readonly [FRONTEND_ONLY]?: {};

  readonly name: string;
  readonly options: MessageProcessOptions;
  /** true in the forked child, false in the parent. */
  readonly isBackend: boolean;

  // frontend: the forked child and everything about it
  private readonly child: BackendChild;
  private readonly callTimeoutMs: number;
  private backendProxy: BackendApi<this> | null = null;

  // backend
  private tornDown = false;

  constructor(options: MessageProcessOptions = {}) {
    super();
    this.isBackend = takeBackendMarker();
    const checked = checkProcessOptions(new.target.name, options);
    this.options = checked.options;
    this.name = checked.name;
    this.callTimeoutMs = checkTimeout(
      options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      `process '${this.name}': callTimeoutMs`,
    );
    this.child = new BackendChild(this.name, {
      event: (name, payload) => this.emit(name, payload),
      exit: (info) => this.emit('exit', info),
    });
  }

  /**
   * console.log(p) for every process class: the options (env, execArgv, a subclass's own: camera URLs, tokens…) and
   * the child (its spawnargs) may hold secrets, so only what identifies the process is shown.
   */
  [inspect.custom](_depth: number, options: object): string {
    const view = {
      name: this.name,
      state: this.state,
      pid: this.isBackend ? process.pid : this.pid,
      side: this.isBackend ? 'backend' : 'frontend',
    };
    return `${this.constructor.name} ${inspect(view, options)}`;
  }

  // ---------------------------------------------------------------- lifecycle hooks (backend; override these)

  /** Runs in the backend before start() resolves: open files, load models, activate rings. */
  protected async preRun(): Promise<void> {}

  /** Runs in the backend on stop(), before the framework closes the rings. */
  protected async postRun(): Promise<void> {}

  // ---------------------------------------------------------------- frontend

  get state(): ProcessState {
    return this.child.state;
  }

  /** Pid of the backend child once forked, else null. */
  get pid(): number | null {
    return this.child.pid;
  }

  /** How the backend ended; null while it has not. */
  get exitInfo(): ExitInfo | null {
    return this.child.exitInfo;
  }

  /**
   * Typed calls into the backend: `await p.backend.myMethod(21)` runs `myMethod(21)` in the child and resolves with
   * its return value, or rejects with a BackendError carrying the backend's message, stack and code.
   */
  get backend(): BackendApi<this> {
    this.assertFrontend('backend');
    this.backendProxy ??= createBackendProxy<this>((method, args) =>
      this.child.call(method, args, { timeoutMs: this.callTimeoutMs }),
    );
    return this.backendProxy;
  }

  /**
   * `p.backend` with per-call settings: `await p.backendWith({ timeoutMs: 2000, signal }).slowMethod()` rejects with
   * RPC_TIMEOUT after 2 s, or with an AbortError (code ABORTED) when `signal` fires first.
   */
  backendWith(options: ProcessWaitOptions): BackendApi<this> {
    this.assertFrontend('backendWith');
    const wait = checkWaitOptions(
      options ?? null,
      this.callTimeoutMs,
      `backendWith(options) of process '${this.name}'`,
    );
    return createBackendProxy<this>((method, args) => this.child.call(method, args, wait));
  }

  /** How many backend calls await their reply (timed-out and aborted calls are no longer counted). */
  get pendingCalls(): number {
    return this.child.pendingCalls;
  }

  /** The same as `p.backend[method](...args)`, for method names held in a variable. */
  call<K extends BackendMethodName<this>>(
    method: K,
    ...args: Parameters<RemoteMethod<this[K]>>
  ): ReturnType<RemoteMethod<this[K]>> {
    this.assertFrontend('call');
    return this.child.call(method, args, { timeoutMs: this.callTimeoutMs }) as ReturnType<RemoteMethod<this[K]>>;
  }

  /**
   * Forks the backend and resolves once its preRun has finished. `timeoutMs` (default: the startTimeoutMs option,
   * 30 s) or `signal` ends a start that takes too long: the child is killed with all it started, and start() rejects
   * with TIMEOUT or an AbortError (code ABORTED).
   */
  async start(options?: ProcessWaitOptions): Promise<void> {
    this.assertFrontend('start');
    this.child.assertNew();
    const wait = checkWaitOptions(
      options,
      this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      `start(options) of process '${this.name}'`,
    );
    const ctor = this.constructor as typeof MessageProcess;
    const moduleUrl = this.options.moduleUrl ?? (Object.hasOwn(ctor, 'moduleUrl') ? ctor.moduleUrl : undefined);
    if (!moduleUrl) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `process class ${ctor.name} does not say where it is defined: add \`static moduleUrl = import.meta.url;\` ` +
          `to the class ` +
          `(in the module that defines and exports it), or pass the moduleUrl option`,
      );
    }
    const exportName =
      this.options.exportName ?? (Object.hasOwn(ctor, 'exportName') ? ctor.exportName : undefined) ?? ctor.name;
    const spec = resolveForkSpec(ctor.name, moduleUrl, exportName, this.options.execArgv);
    await this.child.start(spec, exportName, this.options, wait);
  }

  /** Asks the backend to stop (postRun, close rings, exit) without waiting; pair with waitStop(). */
  requestStop(): void {
    this.assertFrontend('requestStop');
    this.child.requestStop();
  }

  /**
   * Waits for the backend to exit. After `timeoutMs` (a number, or `{ timeoutMs }`; default: the stopTimeoutMs option,
   * 10 s) it SIGKILLs the backend's process group and every process the backend started (also those in groups of their
   * own), so nothing it ran outlives a stop. `{ signal }` ends only the wait (AbortError, code ABORTED): the stop goes
   * on, and the backend is not killed for it.
   */
  async waitStop(options?: number | ProcessWaitOptions): Promise<ExitInfo> {
    this.assertFrontend('waitStop');
    return this.child.waitStop(this.stopWait(options, 'waitStop'));
  }

  /** stop() = requestStop() + waitStop(options): postRun runs in the backend, rings close, the child exits. */
  async stop(options?: number | ProcessWaitOptions): Promise<ExitInfo> {
    this.assertFrontend('stop');
    const wait = this.stopWait(options, 'stop');
    this.requestStop();
    return this.child.waitStop(wait);
  }

  /**
   * `await using p = new MyProc(); await p.start()`: stops the process when the scope ends (as stop(), so a master
   * deregisters its clients first). Idempotent; nothing to do for a process that has exited or was never started.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    // The backend instance is torn down by the framework, not by a scope.
    if (this.isBackend || this.state === 'exited') return;
    await this.stop();
  }

  /** Sends a signal to the backend (default SIGKILL): for emergencies and tests; prefer stop(). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.assertFrontend('kill');
    this.child.kill(signal);
  }

  /**
   * The events `name` as an async iterable of listener arguments: `for await (const [value] of p.events('brightness',
   * { signal }))`. The loop ends when the process exits; `signal` ends it with an AbortError (code ABORTED). Events
   * that arrive while the loop body runs are queued, not lost.
   */
  events<K extends EventName<FrontendEvents<Events>>>(
    name: K,
    options: { signal?: AbortSignal } = {},
  ): AsyncIterableIterator<EventArgs<FrontendEvents<Events>, K>> {
    this.assertFrontend('events');
    const { signal } = checkWaitOptions(options, Infinity, `events('${name}') of process '${this.name}'`);
    const what = `the loop over events '${name}' of process '${this.name}'`;
    return eventsOf(this, name, signal, this.state === 'exited', what) as AsyncIterableIterator<
      EventArgs<FrontendEvents<Events>, K>
    >;
  }

  /**
   * The next `name` event's listener arguments: `const [value] = await p.nextEvent('brightness', { timeoutMs: 5000 })`.
   * Rejects with TIMEOUT after `timeoutMs` (default: no limit), an AbortError (code ABORTED) when `signal` fires, and
   * STOPPED or BACKEND_EXITED when the process exits first.
   */
  async nextEvent<K extends EventName<FrontendEvents<Events>>>(
    name: K,
    options?: ProcessWaitOptions,
  ): Promise<EventArgs<FrontendEvents<Events>, K>> {
    this.assertFrontend('nextEvent');
    const wait = checkWaitOptions(options, Infinity, `nextEvent('${name}') of process '${this.name}'`);
    const what = `waiting for event '${name}' of process '${this.name}'`;
    const ended = this.exitInfo;
    if (ended) {
      // Gone already: the exit is the only event there will be.
      if (name === 'exit') return [ended] as EventArgs<FrontendEvents<Events>, K>;
      throw this.exitedError(what);
    }
    return (await nextEventOf(this, name, wait, what, () => this.exitedError(what))) as EventArgs<
      FrontendEvents<Events>,
      K
    >;
  }

  protected assertFrontend(what: string): void {
    if (this.isBackend) throw frontendOnlyError(what, this.name);
  }

  private stopWait(
    options: number | ProcessWaitOptions | undefined,
    what: string,
  ): { timeoutMs: number; signal?: AbortSignal } {
    const fallback = this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    if (typeof options === 'number')
      return { timeoutMs: checkTimeout(options, `${what}(timeoutMs) of process '${this.name}'`) };
    return checkWaitOptions(options, fallback, `${what}(options) of process '${this.name}'`);
  }

  private exitedError(what: string): ProcessError {
    const info = this.exitInfo;
    return info?.requested
      ? new ProcessError('STOPPED', `${what}: the process was stopped`)
      : new ProcessError('BACKEND_EXITED', `${what}: the process ${this.child.describeExit()}`);
  }

  // ---------------------------------------------------------------- backend

  /**
   * Sends an event to the frontend, where `p.on(name, listener)` receives the payload (structured-cloned).
   * Returns false when the parent is gone and the event was dropped. With an event map on the class
   * (`extends RGB24Process<{ brightness: [value: number] }>`), the name and the payload are type-checked.
   */
  protected sendOut<K extends EventName<Events>>(name: K, ...payload: EventArgs<Events, K>): boolean {
    this.assertBackend('sendOut');
    return sendEventToFrontend(name, payload[0]);
  }

  protected assertBackend(what: string): void {
    if (!this.isBackend) throw backendOnlyError(what, this.name);
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
      refuseCall: (method) => refuseCall(this, this.name, method, MessageProcess.prototype),
      invoke: async (method, args) =>
        (this as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args),
    };
  }
}
