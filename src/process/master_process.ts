// MasterProcess: one shared, heavy analyser for many ClientProcesses. Registering a client attaches the master's
// backend to the client's forward ring and creates a data ring for the replies, which the client then listens to.
// The backend's handleFrame(frame, client) gets each frame with the name of the client it came from, and
// this.reply(client, value) answers that client.

import type { BackendApi } from './backend_api.js';
import { DataRingServer, type DataRingInfo, type FrameRingInfo, type ReadPolicy, type SlotMeta } from '../shm/index.js';
import { ClientProcess, type ForwardInfo } from './client_process.js';
import { ACTIVATE_FRAME_REFS, FRAME_TAKEN, FRONTEND_ONLY, RING_GONE, TEARDOWN_BACKEND } from './internal_symbols.js';
import type { ExitInfo, MessageProcessOptions, ProcessState } from './message_process.js';
import { EventEmitter } from 'node:events';
import { sendEventToFrontend } from './backend_events.js';
import { ProcessError } from './process_error.js';
import type { AnyEvents, ProcessEventMap } from './process_events.js';
import type { ProcessWaitOptions } from './wait_options.js';
import { RGB24Process } from './rgb24_process.js';

export interface MasterProcessOptions extends MessageProcessOptions {
  /** How many clients may be registered at once (default 8). */
  maxClients?: number;
  /** How the master reads client frames: 'latest' (default; a busy master skips to the newest) or 'every'. */
  policy?: ReadPolicy;
  /** The reply rings, one per client (defaults: 16 slots of 64 KiB). */
  reply?: { slots?: number; maxMessageBytes?: number };
}

/**
 * Payload of the master's 'client-gone' event: a registered client stopped, crashed or was killed (its forward ring
 * went away, or its process exited), and the master freed what it held for it.
 */
export interface ClientGoneEvent {
  client: string;
  reason: string;
}

/** How long a failed registration waits for a dying client's exit (and ring cleanup) to be seen. */
const CLIENT_EXIT_WAIT_MS = 5000;

/** Backend → frontend notice; the frontend turns it into one public 'client-gone' event. */
const BACKEND_CLIENT_GONE = 'framering:client-gone';

interface AttachedClient {
  replyServer: DataRingServer;
  /** The last frame of this client given to handleFrame: its replies carry its frameNumber and timestamp. */
  frameNumber?: number;
  timestampUs?: number;
}

/** Frontend: a client of this master. Until `complete`, its registration is still under way. */
interface Registration {
  client: ClientProcess;
  onExit: (info: ExitInfo) => void;
  complete: boolean;
  /** Why the client went away while it was being registered (then the registration fails instead of reporting it). */
  goneDuringRegistration?: string;
}

/** The events a MasterProcess's frontend emits, besides RGB24Process's and the class's own. */
export interface MasterEvents {
  'client-gone': [event: ClientGoneEvent];
}

export class MasterProcess<Events extends ProcessEventMap<Events> = AnyEvents> extends RGB24Process<
  MasterEvents & Events
> {
  static override moduleUrl = import.meta.url;
  static override frontendMethods: readonly string[] = [
    'registerClientProcess',
    'deregisterClientProcess',
    'registeredClients',
  ];
  declare readonly [FRONTEND_ONLY]?: {
    registerClientProcess: true;
    deregisterClientProcess: true;
    registeredClients: true;
  };

  readonly maxClients: number;
  // frontend: the registered client objects, by name
  private readonly registered = new Map<string, Registration>();
  // backend: what the master holds for each client
  private readonly attached = new Map<string, AttachedClient>();
  private replyCounter = 0;

  constructor(options: MasterProcessOptions = {}) {
    super(options);
    const max = options.maxClients ?? 8;
    if (!Number.isInteger(max) || max < 1) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `MasterProcess '${this.name}': maxClients must be a whole number ≥ 1, got ${String(max)}`,
      );
    }
    this.maxClients = max;
    if (!this.isBackend) {
      // The backend noticed a client's ring go away and freed it: forget it here too.
      // An internal event, outside the typed map: EventEmitter's own on().
      EventEmitter.prototype.on.call(this, BACKEND_CLIENT_GONE, (event: ClientGoneEvent) =>
        this.clientGone(event.client, event.reason),
      );
    }
  }

  // ---------------------------------------------------------------- frontend

  /**
   * Frontend: connects a running client to this running master. Client names must be unique per master.
   * `{ signal, timeoutMs }` apply to each backend call of the registration; an abort or a timeout undoes what was done.
   */
  async registerClientProcess(client: ClientProcess, options?: ProcessWaitOptions): Promise<void> {
    this.assertFrontend('registerClientProcess');
    if (!(client instanceof ClientProcess)) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `registerClientProcess takes a ClientProcess, got ${describe(client)}`,
      );
    }
    if (this.state !== 'running') {
      throw new ProcessError(
        'NOT_STARTED',
        `master '${this.name}' is ${this.state}; start() it before registering clients`,
      );
    }
    if (client.state !== 'running') {
      throw new ProcessError(
        'NOT_STARTED',
        `client '${client.name}' is ${client.state}; start() it before registering it with master '${this.name}'`,
      );
    }
    // Checked before the name is reserved: bad options change nothing.
    const clientCalls = options ? client.backendWith(options) : client.backend;
    const ownCalls = options ? (this as MasterProcess).backendWith(options) : this.own;
    const existing = this.registered.get(client.name);
    if (existing) {
      throw new ProcessError(
        'ALREADY_REGISTERED',
        existing.client === client
          ? `client '${client.name}' is already registered with master '${this.name}'`
          : `another client named '${client.name}' is already registered with master '${this.name}'; ` +
              `client names must be unique per master`,
      );
    }
    if (this.registered.size >= this.maxClients) {
      throw new ProcessError(
        'TOO_MANY_CLIENTS',
        `master '${this.name}' already has ${this.registered.size} clients (maxClients ${this.maxClients}); ` +
          `deregister one or raise maxClients`,
      );
    }
    // Reserve the name at once, so that a concurrent second registration fails instead of racing; and watch the
    // client's exit from the start, so that a client dying mid-registration is not left half-registered.
    const onExit = (info: ExitInfo): void => {
      if (this.registered.get(client.name)?.client !== client) return;
      const how = info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
      this.clientGone(client.name, `client process ${how}`);
      if (this.state === 'running') this.own.detachClient(client.name).catch(() => {});
    };
    const registration: Registration = { client, onExit, complete: false };
    this.registered.set(client.name, registration);
    client.once('exit', onExit);
    // A client call that finds the client's backend gone (its exit may not have been seen yet) means it died.
    const clientDied = (err: unknown): never => {
      if ((err as { code?: unknown }).code === 'BACKEND_EXITED')
        registration.goneDuringRegistration ??= 'its backend exited';
      throw err;
    };
    try {
      const forward = await clientCalls.forwardInfo().catch(clientDied);
      const replyPars = await ownCalls.attachClient(client.name, forward);
      await clientCalls.listenToDataRing(replyPars).catch(clientDied);
      if (registration.goneDuringRegistration) throw new Error(registration.goneDuringRegistration);
    } catch (err) {
      this.forget(client.name);
      // A listen that was aborted or timed out may still run in the client: undo it first (IPC keeps the order), so
      // the client does not see the master close a reply ring it opened meanwhile as 'master-gone'.
      if ((client.state as ProcessState) === 'running')
        await client.backend.stopListeningToDataRing().catch(() => false);
      // Free the master's side (its reader of the client's ring, the reply ring); false when it never got that far.
      if (this.state === 'running') await this.own.detachClient(client.name).catch(() => false);
      const gone =
        registration.goneDuringRegistration ??
        ((client.state as ProcessState) === 'exited' ? describeExit(client.exitInfo) : undefined);
      if (gone) {
        // Its frontend removes the rings a killed client left once it sees the exit: let that happen first.
        if ((client.state as ProcessState) !== 'exited') await client.waitStop(CLIENT_EXIT_WAIT_MS).catch(() => {});
        throw new ProcessError(
          'CLIENT_GONE',
          `client '${client.name}' went away while master '${this.name}' was registering it (${gone}); ` +
            `the master freed its side ` +
            `and the client's rings were removed. Start a new client and register that`,
          { cause: err },
        );
      }
      throw err;
    }
    registration.complete = true;
  }

  /** Frontend: disconnects a registered client (it stops listening first, then the master frees its side). */
  async deregisterClientProcess(client: ClientProcess): Promise<void> {
    this.assertFrontend('deregisterClientProcess');
    const entry = client instanceof ClientProcess ? this.registered.get(client.name) : undefined;
    if (!entry || entry.client !== client) {
      throw new ProcessError(
        'NOT_REGISTERED',
        `${client instanceof ClientProcess ? `client '${client.name}'` : describe(client)} ` +
          `is not registered with master '${this.name}' ` +
          `(registered: ${[...this.registered.keys()].join(', ') || 'none'})`,
      );
    }
    this.forget(client.name);
    // Clients before servers: the client closes its reader of the reply ring before the master closes the ring.
    if (client.state === 'running') await client.backend.stopListeningToDataRing().catch(() => false);
    if (this.state === 'running') await this.own.detachClient(client.name);
  }

  /** Frontend: names of the registered clients. */
  registeredClients(): string[] {
    this.assertFrontend('registeredClients');
    return [...this.registered.keys()];
  }

  /** Frontend: deregisters every client (they stop listening), then stops the master's backend. */
  override async stop(options?: number | ProcessWaitOptions): Promise<ExitInfo> {
    if (!this.isBackend && this.state === 'running') {
      await Promise.all(
        [...this.registered.values()].map(({ client }) => this.deregisterClientProcess(client).catch(() => {})),
      );
    }
    return super.stop(options);
  }

  /** This master's own backend calls, typed for MasterProcess (inside the class `this.backend` is generic). */
  private get own(): BackendApi<MasterProcess> {
    return (this as MasterProcess).backend;
  }

  /** Whichever notices first (the backend's ring watch or the client's exit), the frontend reports it once. */
  private clientGone(name: string, reason: string): void {
    const entry = this.registered.get(name);
    if (!entry) return;
    if (!entry.complete) {
      // Mid-registration: registerClientProcess fails with CLIENT_GONE and cleans up; no event for a client never
      // registered.
      entry.goneDuringRegistration ??= reason;
      return;
    }
    this.forget(name);
    this.emit('client-gone', { client: name, reason } satisfies ClientGoneEvent);
  }

  private forget(name: string): void {
    const entry = this.registered.get(name);
    if (!entry) return;
    this.registered.delete(name);
    entry.client.off('exit', entry.onExit);
  }

  // ---------------------------------------------------------------- backend

  /**
   * Backend (driven by registerClientProcess): read the client's frames (its forward ring, or the frames it passes by
   * reference) and open a reply ring for it.
   */
  async attachClient(client: string, forward: ForwardInfo | FrameRingInfo): Promise<DataRingInfo> {
    this.assertBackend('attachClient');
    if (this.attached.has(client))
      throw new ProcessError('ALREADY_REGISTERED', `master '${this.name}' already serves a client named '${client}'`);
    if (this.attached.size >= this.maxClients) {
      throw new ProcessError(
        'TOO_MANY_CLIENTS',
        `master '${this.name}' already serves ${this.attached.size} clients (maxClients ${this.maxClients})`,
      );
    }
    const reply = (this.options as MasterProcessOptions).reply ?? {};
    const replyServer = new DataRingServer({
      name: `${this.name}-${process.pid}-r${++this.replyCounter}`,
      slots: reply.slots ?? 16,
      maxMessageBytes: reply.maxMessageBytes ?? 64 * 1024,
    });
    this.attached.set(client, { replyServer });
    const policy = (this.options as MasterProcessOptions).policy ?? 'latest';
    try {
      if ('mode' in forward && forward.mode === 'reference')
        await this[ACTIVATE_FRAME_REFS](forward.ring, { source: client, policy });
      else await this.activateRGB24Client('mode' in forward ? forward.ring : forward, { source: client, policy });
    } catch (err) {
      this.attached.delete(client);
      replyServer.close();
      throw err;
    }
    return replyServer.info();
  }

  /** Backend: stop reading a client's frames and close its reply ring. Returns false when it was not attached. */
  async detachClient(client: string): Promise<boolean> {
    this.assertBackend('detachClient');
    const entry = this.attached.get(client);
    if (!entry) return false;
    this.attached.delete(client);
    if (this.activeRGB24Clients().includes(client)) await this.deactivateRGB24Client(client);
    entry.replyServer.close();
    return true;
  }

  /** Backend: names of the clients this master serves. */
  clients(): string[] {
    this.assertBackend('clients');
    return [...this.attached.keys()];
  }

  /**
   * Backend: sends a reply to one client. Returns its seq, or null when the client's reply ring had no free slot.
   * The reply's meta (what handleMessage gets as `meta`) carries the frameNumber and timestampUs of the client's
   * frame last given to handleFrame: the frame it answers, when it is sent from handleFrame.
   */
  reply(client: string, value: unknown): number | null {
    this.assertBackend('reply');
    const entry = this.attached.get(client);
    if (!entry) {
      throw new ProcessError(
        'NOT_REGISTERED',
        `master '${this.name}' has no client named '${client}' ` +
          `(clients: ${[...this.attached.keys()].join(', ') || 'none'})`,
      );
    }
    return entry.replyServer.send(
      value,
      entry.frameNumber === undefined ? undefined : { frameNumber: entry.frameNumber, timestampUs: entry.timestampUs },
    );
  }

  protected override [FRAME_TAKEN](meta: SlotMeta, source: string): void {
    const entry = this.attached.get(source);
    if (!entry) return;
    entry.frameNumber = meta.frameNumber;
    entry.timestampUs = meta.timestampUs;
  }

  protected override async [RING_GONE](source: string, reason: string): Promise<void> {
    await super[RING_GONE](source, reason);
    const entry = this.attached.get(source);
    if (!entry) return;
    // The client stopped or died: free its reply ring too, and tell the frontend.
    this.attached.delete(source);
    entry.replyServer.close();
    sendEventToFrontend(BACKEND_CLIENT_GONE, { client: source, reason } satisfies ClientGoneEvent);
  }

  protected override async [TEARDOWN_BACKEND](): Promise<void> {
    await super[TEARDOWN_BACKEND](); // readers of the clients' rings first
    for (const entry of this.attached.values()) entry.replyServer.close();
    this.attached.clear();
  }
}

function describeExit(info: ExitInfo | null): string {
  if (!info) return 'exited';
  return info.signal ? `process killed by ${info.signal}` : `process exited with code ${info.code}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object of class ${(value as object).constructor?.name ?? 'unknown'}`;
  return typeof value;
}
