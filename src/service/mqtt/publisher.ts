// The one MQTT connection of a service instance: every message of the bridge (and of user processes) leaves
// through publish(). While the broker is away, messages wait in a bounded queue (oldest dropped and counted);
// at most MAX_IN_FLIGHT are handed to the socket at once, so a slow broker cannot grow memory either.
// Reconnects use bounded, jittered exponential backoff. A refused login, a TLS failure or a host that does not
// resolve is not retried: one clear line, state 'failed', and the service runs on without MQTT.

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Backoff, Redactor } from '../../stream/internal.js';
import type { BridgeStats } from '../service_view.js';
import { MessageQueue, type OutMessage } from './message_queue.js';
import { classify, isPermanent, MqttError } from './mqtt_error.js';

const MAX_IN_FLIGHT = 64;
const CONNECT_TIMEOUT_MS = 10_000;
const STOP_FLUSH_MS = 2_000;

export interface PublisherOptions {
  url: string;
  username?: string;
  password?: string;
  clientId: string;
  keepaliveS: number;
  /** Published by the broker when we vanish without saying goodbye (retained). */
  will: { topic: string; payload: string };
  queueSize: number;
  queueBytes?: number;
  reconnectMaxMs: number;
  tls?: { caFile?: string; rejectUnauthorized: boolean };
  /** true: a permanent failure is not logged here (the caller fails the start with it). */
  required?: boolean;
  log: (line: string) => void;
}

type State = BridgeStats['state'];

/**
 * Events: 'connect' (every time the broker accepts us), 'message' (topic, payload: Buffer), 'state' (State).
 */
export class MqttPublisher extends EventEmitter {
  readonly redactor: Redactor;
  /** The broker URL without credentials. */
  readonly where: string;
  private client: MqttClient | null = null;
  private readonly queue: MessageQueue;
  private readonly backoff: Backoff;
  private readonly secure: boolean;
  private state: State = 'connecting';
  private inFlight = 0;
  private sent = 0;
  /** Handed to the socket but lost with the connection (QoS 0): counted with the drops. */
  private lost = 0;
  private received = 0;
  private lastError: string | null = null;
  private lastLogged = '';
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly subscriptions = new Set<string>();
  private firstOutcome: ((err: MqttError | null) => void) | null = null;
  private everConnected = false;

  constructor(private readonly opts: PublisherOptions) {
    super();
    this.redactor = Redactor.forUrl(opts.url, [
      opts.password ?? '',
      opts.username && opts.password ? Buffer.from(`${opts.username}:${opts.password}`).toString('base64') : '',
    ]);
    this.where = this.redactor.redact(opts.url);
    this.secure = /^(mqtts|wss|ssl):/i.test(opts.url);
    this.queue = new MessageQueue(opts.queueSize, opts.queueBytes ?? 16 * 1024 * 1024);
    this.backoff = new Backoff({ initialMs: 500, maxMs: opts.reconnectMaxMs });
  }

  /**
   * Connects; resolves with null once the broker accepted us, or with the first error (the bridge keeps trying
   * unless it is permanent).
   */
  start(): Promise<MqttError | null> {
    const outcome = new Promise<MqttError | null>((resolve) => (this.firstOutcome = resolve));
    const options: IClientOptions = {
      clientId: this.opts.clientId,
      keepalive: this.opts.keepaliveS,
      clean: true,
      reconnectPeriod: 0, // ours: with backoff
      connectTimeout: CONNECT_TIMEOUT_MS,
      queueQoSZero: false,
      protocolVersion: 4,
      will: { topic: this.opts.will.topic, payload: Buffer.from(this.opts.will.payload), qos: 1, retain: true },
      ...(this.opts.username !== undefined ? { username: this.opts.username } : {}),
      ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
    };
    if (this.secure && this.opts.tls) {
      options.rejectUnauthorized = this.opts.tls.rejectUnauthorized;
      if (this.opts.tls.caFile) options.ca = readFileSync(this.opts.tls.caFile);
    }
    let client: MqttClient;
    try {
      client = mqtt.connect(this.opts.url, options);
    } catch (err) {
      const e = new MqttError(
        'MQTT_BAD_URL',
        `${this.where} is not a broker URL (${this.redactor.redact((err as Error).message)})`,
      );
      this.fail(e);
      return outcome;
    }
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('error', (err) => this.onError(err));
    client.on('close', () => this.onClose());
    client.on('message', (topic, payload) => {
      this.received++;
      this.emit('message', topic, payload);
    });
    return outcome;
  }

  /** Queued while the broker is away; never blocks, never grows past the queue's bounds. */
  publish(message: OutMessage): void {
    if (this.state === 'stopped' || this.state === 'failed') return;
    this.queue.push(message);
    this.drain();
  }

  subscribe(filter: string): void {
    this.subscriptions.add(filter);
    if (this.state === 'connected') this.client?.subscribe(filter, { qos: 1 });
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  stats(): BridgeStats {
    return {
      state: this.state,
      url: this.where,
      last_error: this.lastError,
      queued: this.queue.length,
      dropped: this.queue.dropped + this.lost,
      sent: this.sent,
      received: this.received,
      in_flight: this.inFlight,
      queued_bytes: this.queue.bytes,
    };
  }

  /** Sends `last` (e.g. availability offline) if connected, waits briefly for what is in flight, disconnects. */
  async stop(last: OutMessage[] = []): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    const wasConnected = this.state === 'connected';
    this.setState('stopped');
    this.firstOutcome?.(null);
    if (!client) return;
    if (wasConnected) {
      for (const m of last) this.queue.push(m);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STOP_FLUSH_MS);
        let pending = 0;
        const finish = () => {
          clearTimeout(timer);
          resolve();
        };
        const done = () => {
          if (--pending <= 0) finish();
        };
        for (let m = this.queue.take(); m; m = this.queue.take()) {
          pending++;
          client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, done);
        }
        if (pending === 0) finish();
      });
    }
    this.queue.clear();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_FLUSH_MS);
      client.end(!wasConnected, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    client.removeAllListeners();
    client.on('error', () => {});
  }

  private drain(): void {
    const client = this.client;
    if (!client || this.state !== 'connected') return;
    while (this.inFlight < MAX_IN_FLIGHT) {
      const m = this.queue.take();
      if (!m) return;
      this.inFlight++;
      client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) => {
        this.inFlight--;
        if (err) this.lost++;
        else this.sent++;
        if (this.inFlight < MAX_IN_FLIGHT / 2) setImmediate(() => this.drain());
      });
    }
  }

  private onConnect(): void {
    if (this.state === 'stopped') return;
    this.backoff.reset();
    this.everConnected = true;
    this.lastError = null;
    const again = this.lastLogged !== '';
    this.lastLogged = '';
    this.opts.log(`mqtt: connected to ${this.where}${again ? ' again' : ''}`);
    this.setState('connected');
    for (const filter of this.subscriptions) this.client!.subscribe(filter, { qos: 1 });
    this.emit('connect');
    this.drain();
    this.firstOutcome?.(null);
    this.firstOutcome = null;
  }

  private onError(err: unknown): void {
    if (this.state === 'stopped' || this.state === 'failed') return;
    const e = classify(err, this.where, this.secure, this.secure && !this.everConnected);
    e.message = this.redactor.redact(e.message);
    if (isPermanent(e.code)) {
      this.fail(e);
      return;
    }
    this.lastError = `${e.message} [${e.code}]`;
  }

  private onClose(): void {
    if (this.state === 'stopped' || this.state === 'failed') return;
    const wasConnected = this.state === 'connected';
    this.setState('reconnecting');
    const why =
      this.lastError ??
      (wasConnected
        ? `lost the broker at ${this.where} [MQTT_UNREACHABLE]`
        : `cannot reach the broker at ${this.where} [MQTT_UNREACHABLE]`);
    this.lastError = why;
    if (why !== this.lastLogged) {
      this.lastLogged = why;
      this.opts.log(
        `mqtt: ${why}; retrying with backoff, messages wait in a queue of ${this.opts.queueSize} (oldest dropped)`,
      );
    }
    if (this.firstOutcome) {
      this.firstOutcome(new MqttError('MQTT_UNREACHABLE', why.replace(/ \[MQTT_UNREACHABLE\]$/, '')));
      this.firstOutcome = null;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.retryTimer) return;
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.state !== 'reconnecting' || !this.client) return;
      this.client.reconnect();
    }, delay);
    this.retryTimer.unref();
  }

  private fail(e: MqttError): void {
    this.lastError = `${e.message} [${e.code}]`;
    this.setState('failed');
    this.queue.clear();
    if (!this.opts.required || this.everConnected) this.opts.log(`mqtt: ${this.lastError}; running on without MQTT`);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.client?.end(true);
    this.firstOutcome?.(e);
    this.firstOutcome = null;
  }

  private setState(state: State): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}
