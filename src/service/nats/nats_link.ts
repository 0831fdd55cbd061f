// One NATS connection for a host's bridges, kept up whatever happens: the first connection is retried until it
// works (a server down at start is no failure: the local processes run, frames for remote masters are skipped),
// a lost one is re-established by the client (unlimited attempts), a closed one is opened again. State changes are
// logged once each; credentials go only to the client library, never into a message.

import { EventEmitter } from 'node:events';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { classifyNatsError, type NatsBridgeErrorCode } from './bridge_error.js';

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'stopped';

export interface NatsLinkOptions {
  servers: string[];
  user?: string;
  password?: string;
  token?: string;
  /** The connection's name on the server (monitoring shows it). */
  name: string;
  /** Redacts what it is given (URLs with credentials, secret values). */
  redact: (text: string) => string;
  log: (line: string) => void;
  /** Ping the server this often (ms), and count it lost after 2 unanswered pings. Default 5000. */
  pingIntervalMs?: number;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 5000;

/** Emits 'connection' (nc) each time a new connection object exists, 'state' (state) on every change. */
export class NatsLink extends EventEmitter {
  private ncValue: NatsConnection | null = null;
  private stateValue: LinkState = 'connecting';
  private lastErrorValue: string | null = null;
  private lastErrorCode: NatsBridgeErrorCode | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private loggedFault = '';
  reconnects = 0;

  constructor(private readonly options: NatsLinkOptions) {
    super();
  }

  get nc(): NatsConnection | null {
    return this.ncValue;
  }

  get state(): LinkState {
    return this.stateValue;
  }

  /** Publishing now reaches the server (and is not buffered by the client for later). */
  get connected(): boolean {
    return this.stateValue === 'connected' && this.ncValue !== null && !this.ncValue.isClosed();
  }

  get lastError(): string | null {
    return this.lastErrorValue;
  }

  get lastErrorCodeValue(): NatsBridgeErrorCode | null {
    return this.lastErrorCode;
  }

  /** The servers, redacted, for stats. */
  get url(): string {
    return this.options.redact(this.options.servers.join(','));
  }

  /** The server this connection is on now (redacted), or null. */
  get server(): string | null {
    return this.connected && this.ncValue ? this.options.redact(this.ncValue.getServer()) : null;
  }

  /** The server's max_payload (bytes) once connected. */
  get maxPayload(): number {
    return this.ncValue?.info?.max_payload ?? 1024 * 1024;
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.setState('stopped');
    // Close first: the run loop waits for the connection to close.
    const nc = this.ncValue;
    this.ncValue = null;
    if (nc && !nc.isClosed()) await withTimeout(nc.close(), 2000).catch(() => {});
    await withTimeout(this.running ?? Promise.resolve(), 3000).catch(() => {});
  }

  private async run(): Promise<void> {
    let wait = FIRST_RETRY_MS;
    while (!this.stopped) {
      let nc: NatsConnection;
      try {
        nc = await connect({
          servers: this.options.servers,
          name: this.options.name,
          ...(this.options.user !== undefined ? { user: this.options.user, pass: this.options.password } : {}),
          ...(this.options.token !== undefined ? { token: this.options.token } : {}),
          timeout: 2000,
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          reconnectJitter: 200,
          pingInterval: this.options.pingIntervalMs ?? 5000,
          maxPingOut: 2,
        });
      } catch (err) {
        this.fault(err, 'cannot connect to');
        await this.sleep(wait);
        wait = Math.min(MAX_RETRY_MS, wait * 2);
        continue;
      }
      if (this.stopped) {
        await nc.close().catch(() => {});
        return;
      }
      wait = FIRST_RETRY_MS;
      this.ncValue = nc;
      this.lastErrorValue = null;
      this.lastErrorCode = null;
      this.loggedFault = '';
      this.setState('connected');
      this.options.log(`nats: connected to ${this.options.redact(nc.getServer())}`);
      this.emit('connection', nc);
      void this.watch(nc);
      const closed = await nc.closed();
      if (this.stopped) return;
      // Closed without our asking (the client gave up, or the server refused us): open a new one.
      this.ncValue = null;
      if (closed) this.fault(closed, 'connection closed by');
      this.setState('reconnecting');
      await this.sleep(wait);
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (this.stopped || this.ncValue !== nc) return;
        if (s.type === 'disconnect') {
          this.setState('reconnecting');
          this.options.log(
            `nats: lost ${this.options.redact(s.server)}; frames for remote masters are skipped until it is back`,
          );
        } else if (s.type === 'reconnect') {
          this.reconnects++;
          this.lastErrorValue = null;
          this.setState('connected');
          this.options.log(`nats: reconnected to ${this.options.redact(s.server)}`);
        } else if (s.type === 'error') {
          this.fault(s.error, 'error from');
        }
      }
    } catch {
      // the status iterator ends with the connection
    }
  }

  private fault(err: unknown, what: string): void {
    const code = classifyNatsError(err);
    const message = this.options.redact(`${err instanceof Error ? err.message : String(err)}`);
    this.lastErrorValue = `${message} [${code}]`;
    this.lastErrorCode = code;
    if (code === 'NATS_AUTH' && this.stateValue !== 'connected') this.setState('failed');
    const line = `nats: ${what} ${this.url}: ${this.lastErrorValue} (retrying)`;
    if (line !== this.loggedFault) {
      this.loggedFault = line;
      this.options.log(line);
    }
  }

  private setState(state: LinkState): void {
    if (this.stateValue === state || (this.stopped && state !== 'stopped')) return;
    this.stateValue = state;
    this.emit('state', state);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.retryTimer = setTimeout(resolve, ms);
    });
  }
}

/** Waits until p settles or ms pass, whichever is first; the callers need no value, only the wait. */
async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  await Promise.race([p, new Promise<void>((r) => setTimeout(r, ms).unref())]);
}
