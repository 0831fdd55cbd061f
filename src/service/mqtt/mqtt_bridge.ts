// The MQTT bridge: a plug-in of the service that reads only the ServiceView. It publishes availability (with a
// last will), stats, motion, object counts and object events (new/update/end), snapshots and Home Assistant
// discovery; it takes detect/set commands; it routes any process's events by config; and it lends its one
// connection to user code (bridge.publish, or a process's event carrying `mqtt: { topic, payload, retain }`).
// Its state is in view.stats().bridges.mqtt. It never throws after start, never blocks the service, and holds
// at most queue_size messages whatever the broker does.

import { hostname } from 'node:os';
import type { FrameringEvent, ServiceView } from '../service_view.js';
import { parseCommand, WarningLimiter } from './commands.js';
import { EventTracker, type ObjectEventType, type TrackedObject } from './event_tracker.js';
import { cameraDiscovery, labelDiscovery } from './ha_discovery.js';
import type { OutMessage } from './message_queue.js';
import { mqttConfigFor, type MqttConfig, type MqttRoute } from './mqtt_config.js';
import { MqttError } from './mqtt_error.js';
import { MqttPublisher } from './publisher.js';
import { SnapshotGrabber } from './snapshots.js';
import { MqttTopics, topicWord } from './topics.js';

const TICK_MS = 200;
/** A process's own message (event.data.mqtt) larger than this is not published. */
const MAX_CUSTOM_PAYLOAD = 256 * 1024;
/** First levels (after <camera>/) a process's own topic may not use: the bridge's own topics. */
const RESERVED_FIRST_LEVELS = new Set(['motion', 'detect']);

export interface MqttBridgeOptions {
  /** A parsed `mqtt:` section; or give `url` for every default. */
  config?: MqttConfig;
  url?: string;
  /** Log lines (already redacted). Default: stderr, prefixed "framering: ". */
  log?: (line: string) => void;
  /** Shown in Home Assistant's device info. */
  version?: string;
  /** Where FRAMERING_MQTT_USERNAME / FRAMERING_MQTT_PASSWORD are read when the config and URL have none. */
  env?: NodeJS.ProcessEnv;
}

/** A ServiceView that takes bridges' stats (Service does). */
interface BridgeHost {
  registerBridge?(name: string, stats: () => import('../service_view.js').BridgeStats): () => void;
}

export class MqttBridge {
  readonly topics: MqttTopics;
  private readonly publisher: MqttPublisher;
  private readonly tracker: EventTracker;
  private readonly snapshots: SnapshotGrabber | null;
  private readonly labels = new Map<string, Set<string>>();
  private readonly warnings = new WarningLimiter();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly grabs = new Set<Promise<unknown>>();
  private readonly unregister: () => void;
  private readonly onEvent = (e: FrameringEvent) => this.event(e);
  private readonly onAnalysis = (camera: string, enabled: boolean) => this.analysis(camera, enabled);
  private stopped: Promise<void> | null = null;

  private constructor(
    private readonly view: ServiceView,
    readonly config: MqttConfig,
    private readonly log: (line: string) => void,
    private readonly version: string,
    env: NodeJS.ProcessEnv,
  ) {
    const instance = config.instance_id ?? topicWord(hostname());
    this.topics = new MqttTopics(config.topic_prefix, instance, config.discovery.prefix);
    const fromUrl = safeUrl(config.url);
    const username = config.username ?? (fromUrl?.username ? undefined : env.FRAMERING_MQTT_USERNAME || undefined);
    const password = config.password ?? (fromUrl?.password ? undefined : env.FRAMERING_MQTT_PASSWORD || undefined);
    this.publisher = new MqttPublisher({
      url: config.url,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      clientId: config.client_id ?? topicWord(`framering-${instance}`),
      keepaliveS: config.keepalive,
      will: { topic: this.topics.available, payload: 'offline' },
      queueSize: config.queue_size,
      reconnectMaxMs: config.reconnect_max * 1000,
      ...(config.tls
        ? {
            tls: {
              rejectUnauthorized: config.tls.reject_unauthorized,
              ...(config.tls.ca_file ? { caFile: config.tls.ca_file } : {}),
            },
          }
        : {}),
      required: config.required,
      log: (line) => this.log(this.publisher.redactor.redact(line)),
    });
    this.tracker = new EventTracker(
      {
        motionOffMs: config.motion_off_delay * 1000,
        objectEndMs: config.object_end_delay * 1000,
        updateIntervalMs: config.update_interval * 1000,
      },
      {
        onObject: (type, o) => this.objectEvent(type, o),
        onCount: (camera, label, n) => this.send(this.topics.count(camera, label), String(n), true),
        onMotion: (camera, on) => this.send(this.topics.motion(camera), on ? 'ON' : 'OFF', true),
      },
    );
    this.snapshots = config.snapshots.enabled
      ? new SnapshotGrabber({
          intervalMs: config.snapshots.interval * 1000,
          height: config.snapshots.height,
          quality: config.snapshots.quality,
        })
      : null;
    this.unregister = (view as ServiceView & BridgeHost).registerBridge?.('mqtt', () => this.stats()) ?? (() => {});
  }

  static async start(view: ServiceView, options: MqttBridgeOptions): Promise<MqttBridge> {
    if (!options.config && !options.url) throw new MqttError('MQTT_BAD_URL', 'startMqttBridge needs config or url');
    let config: MqttConfig;
    try {
      config = options.config ?? mqttConfigFor(options.url!);
    } catch {
      throw new MqttError(
        'MQTT_BAD_URL',
        'the MQTT URL must be a broker URL: mqtt://host[:port] or mqtts://host[:port] (also ws://, wss://)',
      );
    }
    const log = options.log ?? ((l: string) => process.stderr.write(`framering: ${l}\n`));
    const bridge = new MqttBridge(view, config, log, options.version ?? '0.0.0', options.env ?? process.env);
    await bridge.begin();
    return bridge;
  }

  /**
   * Publishes a message of your own under <prefix>/ through the bridge's connection (queued while the broker is away).
   */
  publish(topic: string, payload: string | Buffer | object, options: { retain?: boolean; qos?: 0 | 1 } = {}): boolean {
    const full = this.topics.custom(topic);
    if (!full || full.endsWith('/detect/set')) return false;
    this.publisher.publish({
      topic: full,
      payload: toPayload(payload),
      retain: options.retain ?? false,
      qos: options.qos ?? 0,
    });
    return true;
  }

  stats() {
    return this.publisher.stats();
  }

  /** Says offline, disconnects, and lets go of everything (snapshot readers before the cameras stop). Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.view.off('event', this.onEvent);
      this.view.off('analysis', this.onAnalysis);
      for (const t of this.timers.splice(0)) clearInterval(t);
      this.snapshots?.close();
      await Promise.allSettled([...this.grabs]);
      await this.publisher.stop([{ topic: this.topics.available, payload: 'offline', retain: true, qos: 1 }]);
      this.unregister();
    })();
    return this.stopped;
  }

  private async begin(): Promise<void> {
    const cameras = this.view.cameras().map((c) => c.name);
    if (cameras.includes(this.topics.instance)) {
      this.log(
        `mqtt: the instance id '${this.topics.instance}' is also a camera name: ` +
          `their topics share <prefix>/${this.topics.instance}/; set mqtt.instance_id`,
      );
    }
    this.publisher.on('connect', () => this.announce());
    this.publisher.on('message', (topic: string, payload: Buffer) => this.message(topic, payload));
    this.publisher.subscribe(this.topics.detectSetFilter);
    if (this.config.discovery.enabled) this.publisher.subscribe(this.topics.haStatus);
    const outcome = this.publisher.start();
    if (this.config.required) {
      const err = await outcome;
      if (err) {
        await this.publisher.stop();
        this.unregister();
        throw new MqttError('MQTT_REQUIRED', `mqtt.required is true and ${lowerFirst(err.message)} (${err.code})`);
      }
    }
    this.view.on('event', this.onEvent);
    this.view.on('analysis', this.onAnalysis);
    const tick = setInterval(() => this.tracker.tick(), TICK_MS);
    const stats = setInterval(
      () => this.send(this.topics.stats, JSON.stringify(this.view.stats()), false),
      this.config.stats_interval * 1000,
    );
    for (const t of [tick, stats]) {
      t.unref();
      this.timers.push(t);
    }
  }

  /** On every (re)connect: availability, discovery, and every state, since a restarted broker may have lost them. */
  private announce(): void {
    this.send(this.topics.available, 'online', true, 1);
    const states = this.tracker.snapshot();
    const moving = new Set(states.motion.map(([c]) => c));
    for (const camera of this.view.cameras().map((c) => c.name)) {
      if (this.config.discovery.enabled)
        for (const m of cameraDiscovery(this.ctx(), camera)) this.send(m.topic, m.payload, true, 1);
      this.send(this.topics.detectState(camera), this.view.isAnalysing(camera) ? 'ON' : 'OFF', true, 1);
      this.send(this.topics.motion(camera), moving.has(camera) ? 'ON' : 'OFF', true, 1);
      for (const label of this.labels.get(camera) ?? []) this.labelSeen(camera, label, true);
    }
    for (const [camera, label, n] of states.counts) this.send(this.topics.count(camera, label), String(n), true);
    this.send(this.topics.stats, JSON.stringify(this.view.stats()), false);
  }

  private ctx() {
    return { topics: this.topics, version: this.version };
  }

  private labelSeen(camera: string, label: string, again = false): void {
    let set = this.labels.get(camera);
    if (!set) {
      set = new Set();
      this.labels.set(camera, set);
    }
    if (set.has(label) && !again) return;
    if (!set.has(label) && set.size >= 64) return; // bounded: a process inventing labels cannot flood discovery
    set.add(label);
    if (this.config.discovery.enabled)
      for (const m of labelDiscovery(this.ctx(), camera, label, this.snapshots !== null))
        this.send(m.topic, m.payload, true, 1);
  }

  private event(e: FrameringEvent): void {
    try {
      this.tracker.handle(e);
      for (const route of this.config.routes) if (matches(route, e)) this.route(route, e);
      const own = e.data?.mqtt;
      if (own !== undefined) this.processMessage(e, own);
    } catch (err) {
      if (this.warnings.allow('event-error'))
        this.log(`mqtt: an event could not be published: ${(err as Error).message}`);
    }
  }

  private route(route: MqttRoute, e: FrameringEvent): void {
    const topic = this.topics.custom(
      route.topic.replaceAll('{camera}', e.camera).replaceAll('{source}', e.source).replaceAll('{kind}', e.kind),
    );
    if (!topic || topic.endsWith('/detect/set')) return;
    this.send(topic, JSON.stringify(route.payload === 'data' ? (e.data ?? {}) : e), route.retain);
  }

  /** A process's own message: `mqtt: { topic, payload, retain }` in an event, published under <prefix>/<camera>/. */
  private processMessage(e: FrameringEvent, own: unknown): void {
    const m = own as { topic?: unknown; payload?: unknown; retain?: unknown };
    const levels = typeof m?.topic === 'string' ? m.topic.split('/').filter((l) => l !== '') : [];
    const topic =
      levels.length > 0 && !RESERVED_FIRST_LEVELS.has(levels[0]!)
        ? this.topics.custom(`${e.camera}/${levels.join('/')}`)
        : null;
    const payload = m?.payload === undefined ? null : toPayload(m.payload as string | object);
    if (!topic || payload === null || payload.length > MAX_CUSTOM_PAYLOAD) {
      if (this.warnings.allow(`own:${e.source}`)) {
        this.log(
          `mqtt: process ${e.source} sent an mqtt message that is not published: ` +
            `it needs mqtt.topic (not motion/… or detect/…) and a payload up to ${MAX_CUSTOM_PAYLOAD} bytes`,
        );
      }
      return;
    }
    this.send(topic, payload, m.retain === true);
  }

  private objectEvent(type: ObjectEventType, o: TrackedObject): void {
    this.labelSeen(o.camera, o.label);
    const { id, camera, label, score, top_score, box, frame_time, start_time, end_time, source } = o;
    const payload = {
      type,
      id,
      camera,
      label,
      score,
      top_score,
      box,
      frame_time,
      start_time,
      end_time,
      source,
      instance: this.topics.instance,
      has_snapshot: this.snapshots !== null,
    };
    this.send(this.topics.events, JSON.stringify(payload), false);
    if (type !== 'end' && o.score >= o.top_score) this.snapshot(o);
  }

  private snapshot(o: TrackedObject): void {
    const s = this.snapshots;
    if (!s?.due(o.camera, o.label)) return;
    const ring = this.view.cameras().find((c) => c.name === o.camera)?.ring;
    if (!ring) return;
    const grab = s.grab(o.camera, o.label, ring, o.box).then((jpeg) => {
      if (jpeg) this.send(this.topics.snapshot(o.camera, o.label), jpeg, true);
    });
    this.grabs.add(grab);
    void grab.finally(() => this.grabs.delete(grab));
  }

  private analysis(camera: string, enabled: boolean): void {
    this.send(this.topics.detectState(camera), enabled ? 'ON' : 'OFF', true, 1);
    if (!enabled) this.tracker.clearCamera(camera);
  }

  private message(topic: string, payload: Buffer): void {
    if (topic === this.topics.haStatus) {
      if (payload.toString().trim() === 'online') this.announce();
      return;
    }
    const result = parseCommand(topic, payload, this.topics, (name) =>
      this.view.cameras().some((c) => c.name === name),
    );
    if ('command' in result) {
      const { camera, enabled } = result.command;
      this.log(`mqtt: ${topic} ${enabled ? 'ON' : 'OFF'}: analysis of ${camera} ${enabled ? 'on' : 'off'}`);
      this.view.setAnalysing(camera, enabled);
      // Confirmed even when nothing changed (no 'analysis' event then): the sender sees the state it asked for.
      if (this.view.isAnalysing(camera) === enabled)
        this.send(this.topics.detectState(camera), enabled ? 'ON' : 'OFF', true, 1);
    } else if (result.ignored === 'bad-payload' && this.warnings.allow(`cmd:${result.camera}`)) {
      this.log(result.warning);
    }
  }

  private send(topic: string, payload: string | Buffer, retain: boolean, qos: 0 | 1 = 0): void {
    this.publisher.publish({ topic, payload, retain, qos } satisfies OutMessage);
  }
}

/** Starts the MQTT bridge of a running service (also what `framering serve` does with an `mqtt:` section). */
export function startMqttBridge(view: ServiceView, options: MqttBridgeOptions): Promise<MqttBridge> {
  return MqttBridge.start(view, options);
}

function matches(route: MqttRoute, e: FrameringEvent): boolean {
  if (route.kind && route.kind !== e.kind) return false;
  if (route.camera && route.camera !== e.camera) return false;
  if (route.source) {
    if (route.source.endsWith('*') ? !e.source.startsWith(route.source.slice(0, -1)) : route.source !== e.source)
      return false;
  }
  return true;
}

function toPayload(value: string | Buffer | object): Buffer | string {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  return JSON.stringify(value);
}

function safeUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
