// The MQTT bridge against a real mosquitto (started here on 127.0.0.1, free port, generated config, with a password
// file for the credentials tests) and the real service on synthetic cameras: availability (retained, last will on
// kill -9), stats, motion, counts, events new/update/end, snapshots, detect/set stopping and restarting analysis,
// Home Assistant discovery, a broker killed mid-run, refused credentials, mqtt.required, bad commands, two hosts on
// one broker. Every wait is bounded; no password may appear in a log line, stat or MQTT payload.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_YAML, parseConfigText } from '../src/service/config/index.js';
import { startHttp } from '../src/service/http/index.js';
import { makePanningVideo } from './fixtures/detector/panning_video.js';
import {
  MqttError,
  mqttConfigFor,
  startMqttBridge,
  type MqttBridge,
  type MqttConfig,
} from '../src/service/mqtt/index.js';
import { startService, type Service } from '../src/service/service.js';
import type { FrameringEvent } from '../src/service/service_view.js';
import { listSegments } from '../src/shm/index.js';
import { removeSegment } from '../src/shm/internal.js';
import { exited } from './support/child_script.js';
import { Mosquitto } from './support/mosquitto.js';
import { until } from './support/wait.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const PUBLISHING = fileURLToPath(new URL('./fixtures/service/mqtt_publishing_process.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'framering-mqtt-'));
// The built-in topology with the blob master (objects in every frame of a test pattern, and no network to load).
const SMALL_DEFAULT = DEFAULT_CONFIG_YAML.replaceAll('width: 640', 'width: 320')
  .replaceAll('height: 360', 'height: 240')
  .replace(
    /master: \{ class: object-detector[^\n]*/,
    'master: { class: blob-master, options: { minCells: 24, maxBlobs: 6 } }',
  );
const PASSWORD = 'Mq-Secret-991';

/** The Home Assistant discovery fields the test reads one by one; toMatchObject checks the others. */
interface DiscoveryConfig {
  unique_id: string;
  availability_topic: string;
  value_template?: string;
  device: { identifiers: string[]; manufacturer: string };
}

interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  at: number;
}

/** A real MQTT client that records everything it receives. */
class Subscriber {
  readonly messages: Received[] = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) =>
      this.messages.push({ topic, payload, retain: packet.retain, at: Date.now() }),
    );
  }
  static async connect(url: string, topics: string[], opts: mqtt.IClientOptions = {}): Promise<Subscriber> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 500, connectTimeout: 5000, ...opts });
    const s = new Subscriber(client);
    await client.subscribeAsync(topics, { qos: 1 });
    return s;
  }
  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }
  last(topic: string): string | undefined {
    return this.on(topic).at(-1)?.payload.toString();
  }
  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The service in this process with its MQTT bridge; both stopped after the test (bridge first). */
async function serviceWithBridge(
  yaml: string,
  mqttConfig: MqttConfig,
  logs: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ svc: Service; bridge: MqttBridge }> {
  const svc = await startService(parseConfigText(yaml, { env, baseDir: dir }), { log: (l) => logs.push(l) });
  cleanups.push(() => svc.stop());
  const bridge = await startMqttBridge(svc, { config: mqttConfig, log: (l) => logs.push(l), version: 'test', env: {} });
  cleanups.push(() => bridge.stop());
  return { svc, bridge };
}

describe('MQTT bridge with a real broker', { timeout: 180_000 }, () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    return () => broker.close();
  });

  it(
    'availability, stats, motion, counts, events, snapshots, ' +
      'discovery; detect/set OFF stops analysis and ON restarts it',
    async () => {
      const sub = await Subscriber.connect(broker.url, ['framering/#', 'homeassistant/#']);
      cleanups.push(() => sub.close());
      const logs: string[] = [];
      const config = mqttConfigFor(broker.url, {
        instance_id: 'hostA',
        stats_interval: 1,
        motion_off_delay: 1,
        object_end_delay: 0.5,
        snapshots: { interval: 1 },
        routes: [{ kind: 'motion', camera: 'cam1', topic: '{camera}/raw/{kind}', payload: 'data' }],
      });
      const { svc } = await serviceWithBridge(SMALL_DEFAULT, config, logs);

      // Availability: online, and retained (a late subscriber gets it with the retain flag).
      await until('available online', () => sub.last('framering/hostA/available') === 'online');
      const late = await Subscriber.connect(broker.url, ['framering/hostA/available']);
      await until(
        'retained online for a late subscriber',
        () => late.on('framering/hostA/available').some((m) => m.retain && m.payload.toString() === 'online'),
        5000,
      );
      await late.close();

      // Stats every interval, the /api/stats JSON with the bridge's own state.
      await until('3 stats messages', () => sub.on('framering/hostA/stats').length >= 3);
      const stats = sub.on('framering/hostA/stats');
      const gap = stats.at(-1)!.at - stats.at(-2)!.at;
      expect(gap).toBeGreaterThan(500);
      expect(gap).toBeLessThan(2500);
      const s = JSON.parse(stats.at(-1)!.payload.toString());
      expect(Object.keys(s.cameras)).toEqual(['cam0', 'cam1']);
      expect(s.cameras.cam0.detection_enabled).toBe(true);
      expect(s.bridges.mqtt).toMatchObject({
        state: 'connected',
        url: broker.url,
        last_error: null,
        queued: expect.any(Number),
        dropped: 0,
      });
      expect(s.bridges.mqtt.sent).toBeGreaterThan(0);
      expect(svc.stats().bridges.mqtt!.state).toBe('connected');
      // The HTTP side shows it too: Prometheus gauges and counters per bridge.
      const http = await startHttp(svc, { port: 0 });
      cleanups.push(() => http.close());
      const metrics = await (await fetch(`${http.url.replace(/\/$/, '')}/metrics`)).text();
      expect(metrics).toMatch(/^framering_bridge_connected\{bridge="mqtt"\} 1$/m);
      expect(metrics).toMatch(/^framering_bridge_sent_total\{bridge="mqtt"\} [1-9]/m);

      // Motion ON (retained), object counts (retained), events new/update/end, a JPEG snapshot (retained).
      await until('motion ON on both cameras', () =>
        ['cam0', 'cam1'].every((c) => sub.on(`framering/${c}/motion`).some((m) => m.payload.toString() === 'ON')),
      );
      await until(
        'blob counts',
        () => sub.on('framering/cam0/blob').length > 0 && sub.on('framering/cam1/blob').length > 0,
      );
      expect(sub.on('framering/cam0/blob').every((m) => /^\d+$/.test(m.payload.toString()))).toBe(true);
      const events = () =>
        sub.on('framering/events').map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
      await until('new, update and end events', () =>
        ['new', 'update', 'end'].every((t) => events().some((e) => e.type === t)),
      );
      const ev = events().find((e) => e.type === 'new')!;
      expect(ev).toMatchObject({
        camera: expect.stringMatching(/^cam[01]$/),
        label: 'blob',
        score: expect.any(Number),
        box: { x: expect.any(Number), y: expect.any(Number), width: expect.any(Number), height: expect.any(Number) },
        frame_time: expect.any(Number),
        id: expect.any(String),
        instance: 'hostA',
        end_time: null,
      });
      expect(Math.abs((ev.frame_time as number) - Date.now() / 1000)).toBeLessThan(60);
      const ended = events().find((e) => e.type === 'end')!;
      expect(ended.end_time).toEqual(expect.any(Number));
      // Every id has its new before its update or end.
      const seen = new Set<string>();
      for (const e of events()) {
        if (e.type === 'new') seen.add(e.id as string);
        else expect(seen.has(e.id as string)).toBe(true);
      }
      await until('a JPEG snapshot', () => sub.on('framering/cam0/blob/snapshot').length > 0);
      const jpeg = sub.on('framering/cam0/blob/snapshot')[0]!;
      expect(jpeg.payload.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      // The route: cam1's motion events, data only, by config.
      await until('routed motion data', () => sub.on('framering/cam1/raw/motion').length > 0);
      expect(JSON.parse(sub.last('framering/cam1/raw/motion')!)).toEqual({ changed: expect.any(Number) });
      expect(sub.on('framering/cam0/raw/motion')).toEqual([]);

      // Home Assistant discovery: valid JSON, retained, unique ids, a device per camera, every entity kind.
      await until('discovery of the blob count and snapshot camera', () =>
        sub.messages.some((m) => m.topic === 'homeassistant/camera/framering_hostA/cam0_blob_snapshot/config'),
      );
      const discovery = sub.messages.filter((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config'));
      const configs = new Map(discovery.map((m) => [m.topic, JSON.parse(m.payload.toString()) as DiscoveryConfig]));
      const ids = [...configs.values()].map((c) => c.unique_id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const [topic, c] of configs) {
        expect(topic).toMatch(
          /^homeassistant\/(binary_sensor|sensor|switch|camera)\/framering_hostA\/[A-Za-z0-9_-]+\/config$/,
        );
        expect(c.device.identifiers[0]).toMatch(/^framering_hostA_cam[01]$/);
        expect(c.device.manufacturer).toBe('framering');
        expect(c.availability_topic).toBe('framering/hostA/available');
      }
      const want = {
        'binary_sensor/framering_hostA/cam0_motion': {
          state_topic: 'framering/cam0/motion',
          device_class: 'motion',
          payload_on: 'ON',
        },
        'sensor/framering_hostA/cam0_fps': { state_topic: 'framering/hostA/stats', unit_of_measurement: 'fps' },
        'sensor/framering_hostA/cam0_blob_count': { state_topic: 'framering/cam0/blob' },
        'switch/framering_hostA/cam1_detect': {
          command_topic: 'framering/cam1/detect/set',
          state_topic: 'framering/cam1/detect/state',
        },
        'camera/framering_hostA/cam0_blob_snapshot': { topic: 'framering/cam0/blob/snapshot' },
      };
      for (const [k, v] of Object.entries(want)) expect(configs.get(`homeassistant/${k}/config`)).toMatchObject(v);
      expect(configs.get('homeassistant/sensor/framering_hostA/cam0_fps/config')!.value_template).toContain(
        "cameras['cam0'].camera_fps",
      );
      const retained = await Subscriber.connect(broker.url, ['homeassistant/#']);
      await until('discovery retained', () => retained.messages.length >= configs.size, 5000);
      expect(retained.messages.every((m) => m.retain)).toBe(true);
      await retained.close();

      // detect/set OFF: confirmed, cam0's readers detached (nothing analysed), motion OFF, counts 0; cam1 goes on.
      expect(sub.last('framering/cam0/detect/state')).toBe('ON');
      await sub.client.publishAsync('framering/cam0/detect/set', 'OFF');
      await until('detect/state OFF', () => sub.last('framering/cam0/detect/state') === 'OFF', 5000);
      expect(svc.isAnalysing('cam0')).toBe(false);
      await until('motion OFF on cam0', () => sub.last('framering/cam0/motion') === 'OFF', 5000);
      await until(
        'cam0 no longer analysed',
        () => {
          const c = svc.stats().cameras.cam0!;
          return !c.detection_enabled && c.process_fps === 0 && c.camera_fps > 0 && c.state === 'streaming';
        },
        15_000,
      );
      expect(sub.last('framering/cam0/blob')).toBe('0');
      const mark = sub.messages.length;
      const cam0Events: FrameringEvent[] = [];
      const onEvent = (e: FrameringEvent) => e.camera === 'cam0' && cam0Events.push(e);
      svc.on('event', onEvent);
      await sleep(2500);
      svc.off('event', onEvent);
      expect(cam0Events).toEqual([]);
      const after = sub.messages.slice(mark);
      expect(
        after.filter((m) => m.topic === 'framering/events' && JSON.parse(m.payload.toString()).camera === 'cam0'),
      ).toEqual([]);
      expect(
        after.some((m) => m.topic === 'framering/events' && JSON.parse(m.payload.toString()).camera === 'cam1'),
      ).toBe(true);
      expect(svc.stats().cameras.cam1!.process_fps).toBeGreaterThan(0);
      const offStats = JSON.parse(sub.last('framering/hostA/stats')!);
      expect(offStats.cameras.cam0.detection_enabled).toBe(false);

      // Bad payloads and unknown cameras: ignored (a warning for the payload), the state stays.
      await sub.client.publishAsync('framering/cam0/detect/set', 'MAYBE');
      await sub.client.publishAsync('framering/nocam/detect/set', 'ON');
      await sub.client.publishAsync('framering/cam0/extra/detect/set', 'ON');
      await until(
        'a warning for the bad payload',
        () => logs.some((l) => l.includes("framering/cam0/detect/set: the payload must be ON or OFF (got 'MAYBE')")),
        5000,
      );
      await sleep(300);
      expect(svc.isAnalysing('cam0')).toBe(false);
      expect(logs.filter((l) => /nocam|extra/.test(l))).toEqual([]);

      // detect/set ON: analysed again, confirmed, motion back.
      await sub.client.publishAsync('framering/cam0/detect/set', 'on');
      await until('detect/state ON', () => sub.last('framering/cam0/detect/state') === 'ON', 5000);
      await until(
        'cam0 analysed again',
        () => svc.stats().cameras.cam0!.process_fps > 0 && svc.stats().cameras.cam0!.detection_enabled,
        20_000,
      );
      await until('motion ON on cam0 again', () => sub.last('framering/cam0/motion') === 'ON', 10_000);
      expect(svc.stats().bridges.mqtt!.received).toBeGreaterThanOrEqual(4); // OFF, MAYBE, nocam ON, on
    },
  );

  it('the object detector: a person on a camera is an MQTT event, a retained count and a snapshot', async () => {
    const sub = await Subscriber.connect(broker.url, ['framering/#']);
    cleanups.push(() => sub.close());
    const logs: string[] = [];
    const video = makePanningVideo('astronaut', dir, 8);
    const yaml =
      `cameras:\n  door:\n    source: ${JSON.stringify(video)}\n    width: 640\n` +
      `    height: 360\n    fps: 10\nprocesses:\n  - name: detect\n` +
      `    shape: client-master\n    client: { class: motion-client }\n` +
      `    master: { class: object-detector, options: { minScore: 0.4 } }\n`;
    await serviceWithBridge(
      yaml,
      mqttConfigFor(broker.url, { instance_id: 'hostD', snapshots: { interval: 1 } }),
      logs,
    );
    const events = () =>
      sub.on('framering/events').map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
    await until(
      'a new person event',
      () => events().some((e) => e.type === 'new' && e.label === 'person' && e.camera === 'door'),
      60_000,
    );
    const ev = events().find((e) => e.type === 'new' && e.label === 'person')!;
    expect(ev.score as number).toBeGreaterThanOrEqual(0.4);
    await until('the person count, retained', () =>
      sub.on('framering/door/person').some((m) => Number(m.payload.toString()) >= 1),
    );
    await until('a person snapshot', () => sub.on('framering/door/person/snapshot').length > 0, 20_000);
    expect([...sub.on('framering/door/person/snapshot').at(-1)!.payload.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  });

  it("a user's process publishes through the same connection; graceful stop says offline", async () => {
    const sub = await Subscriber.connect(broker.url, ['framering/#']);
    cleanups.push(() => sub.close());
    const yaml =
      `cameras:\n  yard: { source: synthetic://testsrc, width: 160, height: 120, fps: 10 }\n` +
      `processes:\n  - name: mine\n    class: { module: ${PUBLISHING}, export: MqttPublishingProcess }\n`;
    const logs: string[] = [];
    const { bridge } = await serviceWithBridge(yaml, mqttConfigFor(broker.url, { instance_id: 'hostP' }), logs);
    await until("the process's own topic", () => sub.on('framering/yard/frames/seen').length >= 2);
    expect(JSON.parse(sub.last('framering/yard/frames/seen')!)).toEqual({ frame: expect.any(Number) });
    expect(sub.on('framering/yard/frames/seen')[0]!.retain).toBe(false); // live delivery; the broker keeps it retained
    // And from code in the service's process.
    expect(bridge.publish('custom/hello', { hi: 1 }, { retain: true })).toBe(true);
    expect(bridge.publish('yard/detect/set', 'OFF')).toBe(false);
    await until('bridge.publish', () => sub.last('framering/custom/hello') === '{"hi":1}', 5000);
    await bridge.stop();
    await until('offline on a graceful stop', () => sub.last('framering/hostP/available') === 'offline', 5000);
  });

  it(
    'the broker killed mid-run for 10 s: the service goes on, the queue ' +
      'stays bounded and counts drops, then it reconnects and republishes',
    async () => {
      const logs: string[] = [];
      const config = mqttConfigFor(broker.url, {
        instance_id: 'hostK',
        stats_interval: 1,
        queue_size: 50,
        reconnect_max: 2,
        routes: [{ kind: 'motion' }],
      });
      const { svc } = await serviceWithBridge(SMALL_DEFAULT, config, logs);
      await until(
        'connected',
        () => svc.stats().bridges.mqtt?.state === 'connected' && svc.stats().bridges.mqtt!.sent > 10,
      );
      let events = 0;
      svc.on('event', () => events++);

      await broker.stop();
      const heapBefore = process.memoryUsage().heapUsed;
      await until('reconnecting', () => svc.stats().bridges.mqtt!.state === 'reconnecting', 10_000);
      const eventsAtLoss = events;
      const samples: number[] = [];
      for (let i = 0; i < 10; i++) {
        await sleep(1000);
        const b = svc.stats().bridges.mqtt!;
        samples.push(b.queued);
        expect(b.queued).toBeLessThanOrEqual(50);
      }
      const during = svc.stats();
      expect(during.bridges.mqtt!.dropped).toBeGreaterThan(0);
      expect(during.bridges.mqtt!.last_error).toMatch(/MQTT_UNREACHABLE/);
      expect(events - eventsAtLoss).toBeGreaterThan(20); // analysis went on
      expect(Object.values(during.cameras).every((c) => c.state === 'streaming' && c.process_fps > 0)).toBe(true);
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
      expect(logs.filter((l) => l.includes('lost the broker')).length).toBe(1); // one line, not one per retry

      await broker.start();
      const sub = await Subscriber.connect(broker.url, ['framering/hostK/#', 'framering/cam0/motion']);
      cleanups.push(() => sub.close());
      await until('connected again', () => svc.stats().bridges.mqtt!.state === 'connected', 15_000);
      await until('availability republished', () => sub.last('framering/hostK/available') === 'online', 5000);
      await until('motion state republished', () => sub.on('framering/cam0/motion').length > 0, 5000);
      await until('stats flowing again', () => sub.on('framering/hostK/stats').length >= 2, 5000);
      const s = JSON.parse(sub.last('framering/hostK/stats')!);
      expect(s.bridges.mqtt.dropped).toBeGreaterThan(0);
      expect(logs.some((l) => l.includes('connected to') && l.includes('again'))).toBe(true);
    },
  );

  it("two service instances on one broker: a subscriber sees both hosts' availability and events", async () => {
    const sub = await Subscriber.connect(broker.url, ['framering/#']);
    cleanups.push(() => sub.close());
    const cam = (name: string) =>
      `cameras:\n  ${name}: { source: synthetic://testsrc2, width: 160, height: 120, fps: 5 }\n` +
      `processes:\n  - name: motion-${name}\n    class: motion\n`;
    const logs: string[] = [];
    await serviceWithBridge(
      cam('north'),
      mqttConfigFor(broker.url, { instance_id: 'host1', routes: [{ kind: 'motion' }] }),
      logs,
    );
    await serviceWithBridge(
      cam('south'),
      mqttConfigFor(broker.url, { instance_id: 'host2', routes: [{ kind: 'motion' }] }),
      logs,
    );
    await until(
      'both hosts online',
      () => sub.last('framering/host1/available') === 'online' && sub.last('framering/host2/available') === 'online',
    );
    await until(
      "both hosts' motion",
      () => sub.last('framering/north/motion') === 'ON' && sub.last('framering/south/motion') === 'ON',
    );
    await until(
      "both hosts' routed events",
      () =>
        sub.on('framering/north/motion-north/motion').length > 0 &&
        sub.on('framering/south/motion-south/motion').length > 0,
    );
  });
});

describe('credentials and faults', { timeout: 120_000 }, () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start({ framering: PASSWORD, watcher: 'Watch-Pw-5' });
    return () => broker.close();
  });
  const yaml = (mqttPart: string) =>
    `cameras:\n  gate: { source: synthetic://testsrc, width: 160, height: 120, fps: 5 }\n` +
    `processes:\n  - name: motion\n    class: motion\n${mqttPart}`;

  it(
    'the right password (from the environment) connects; a wrong ' +
      'one is one clear line without it, and the service runs on',
    async () => {
      const watcher = await Subscriber.connect(broker.url, ['framering/#'], {
        username: 'watcher',
        password: 'Watch-Pw-5',
      });
      cleanups.push(() => watcher.close());
      // Right: the password comes from ${MQTT_PASSWORD}.
      const good = parseConfigText(
        yaml(
          `mqtt:\n  url: ${broker.url}\n  username: framering\n` +
            `  password: \${MQTT_PASSWORD}\n  instance_id: good\n  stats_interval: 1\n`,
        ),
        { env: { MQTT_PASSWORD: PASSWORD } },
      );
      const logs: string[] = [];
      const svc = await startService(good, { log: (l) => logs.push(l) });
      cleanups.push(() => svc.stop());
      const bridge = await startMqttBridge(svc, { config: good.config.mqtt!, log: (l) => logs.push(l), env: {} });
      cleanups.push(() => bridge.stop());
      await until('online with credentials', () => watcher.last('framering/good/available') === 'online');
      await until('stats', () => watcher.on('framering/good/stats').length > 0);
      await bridge.stop();

      // Wrong: in the URL this time (user:password@), so the redaction of URLs is tested too.
      const wrongPw = 'Wrong-Pw-4242';
      const url = `mqtt://framering:${wrongPw}@127.0.0.1:${broker.port}`;
      const bad = await startMqttBridge(svc, {
        config: mqttConfigFor(url, { instance_id: 'bad', stats_interval: 1 }),
        log: (l) => logs.push(l),
        env: {},
      });
      cleanups.push(() => bad.stop());
      await until('failed', () => svc.stats().bridges.mqtt?.state === 'failed', 15_000);
      const lines = logs.filter((l) => l.includes('MQTT_AUTH_REFUSED'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          String.raw`^mqtt: the broker at mqtt:\/\/\*\*\*@127\.0\.0\.1:\d+ refused the connection:` +
            String.raw` (bad user name or password|not authorised) .*\[MQTT_AUTH_REFUSED\]; running on without MQTT$`,
        ),
      );
      expect(svc.stats().bridges.mqtt!.url).toBe(`mqtt://***@127.0.0.1:${broker.port}`);
      await sleep(2000); // no retry storm: still one line
      expect(logs.filter((l) => l.includes('MQTT_AUTH_REFUSED'))).toHaveLength(1);
      // The service runs on.
      const before = svc.stats().cameras.gate!.frames;
      await until('frames still flowing', () => svc.stats().cameras.gate!.frames > before + 5, 10_000);
      expect(svc.stats().cameras.gate!.process_fps).toBeGreaterThan(0);
      // No password anywhere: logs, stats, MQTT payloads.
      const everything =
        JSON.stringify([logs, svc.stats(), svc.redactedConfig()]) +
        watcher.messages.map((m) => m.payload.toString()).join('\n');
      for (const secret of [PASSWORD, wrongPw]) expect(everything).not.toContain(secret);
    },
  );

  it(
    'mqtt.required: true with refused credentials: ' + 'startMqttBridge fails with MQTT_REQUIRED, password redacted',
    async () => {
      const logs: string[] = [];
      const svc = await startService(parseConfigText(yaml('')), { log: (l) => logs.push(l) });
      cleanups.push(() => svc.stop());
      const config = mqttConfigFor(broker.url, { username: 'framering', password: 'Nope-Pw-777', required: true });
      const err = await startMqttBridge(svc, { config, log: (l) => logs.push(l), env: {} }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MqttError);
      expect((err as MqttError).code).toBe('MQTT_REQUIRED');
      expect((err as MqttError).message).toMatch(
        new RegExp(
          String.raw`mqtt\.required is true and the broker at mqtt:\/\/127\.0\.0\.1:\d+` +
            String.raw` refused the connection: .* \(MQTT_AUTH_REFUSED\)`,
        ),
      );
      expect(JSON.stringify([logs, (err as Error).message, svc.stats()])).not.toContain('Nope-Pw-777');
      expect(svc.stats().bridges.mqtt).toBeUndefined();
    },
  );
});

describe('TLS failure, a host that does not resolve, config errors', { timeout: 120_000 }, () => {
  it(
    'mqtts:// to a plain MQTT port and an unknown host: one ' +
      'clear line each, password redacted, the service runs on',
    async () => {
      const broker = await Mosquitto.start();
      cleanups.push(() => broker.close());
      const logs: string[] = [];
      const svc = await startService(
        parseConfigText(
          `cameras:\n  gate: { source: synthetic://testsrc, width: 160, height: 120, fps: 5 }\n` +
            `processes:\n  - name: motion\n    class: motion\n`,
        ),
        { log: (l) => logs.push(l) },
      );
      cleanups.push(() => svc.stop());
      const tls = await startMqttBridge(svc, {
        config: mqttConfigFor(`mqtts://framering:Tls-Pw-808@127.0.0.1:${broker.port}`),
        log: (l) => logs.push(l),
        env: {},
      });
      cleanups.push(() => tls.stop());
      await until('TLS failed', () => tls.stats().state === 'failed', 15_000);
      await tls.stop();
      const dns = await startMqttBridge(svc, {
        config: mqttConfigFor('mqtt://framering:Dns-Pw-909@no-such-host.invalid:1883'),
        log: (l) => logs.push(l),
        env: {},
      });
      cleanups.push(() => dns.stop());
      await until('bad host failed', () => dns.stats().state === 'failed', 15_000);
      const mqttLines = logs.filter((l) => l.startsWith('mqtt:'));
      expect(mqttLines).toHaveLength(2);
      expect(mqttLines[0]).toMatch(
        new RegExp(
          String.raw`^mqtt: TLS with the broker at mqtts:\/\/\*\*\*@127\.0\.0\.1:\d+` +
            String.raw` failed: .*\[MQTT_TLS_FAILED\]; running on without MQTT$`,
        ),
      );
      expect(mqttLines[1]).toBe(
        "mqtt: the broker's host in mqtt://***@no-such-host.invalid:1883 does " +
          'not resolve (check mqtt.url) [MQTT_BAD_URL]; running on without MQTT',
      );
      expect(JSON.stringify([logs, svc.stats(), tls.stats(), dns.stats()])).not.toMatch(/Tls-Pw-808|Dns-Pw-909/);
      const before = svc.stats().cameras.gate!.frames;
      await until('frames still flowing', () => svc.stats().cameras.gate!.frames > before + 3, 10_000);
    },
  );

  it(
    'a bad mqtt: section is one config error with path and line, ' +
      'never echoing the value; --check redacts the broker password',
    async () => {
      const base =
        `cameras:\n  front: { source: synthetic://testsrc2 }\n` + `processes:\n  - name: motion\n    class: motion\n`;
      const bad = (mqttPart: string) => {
        try {
          parseConfigText(base + mqttPart);
        } catch (err) {
          return err as { code: string; message: string };
        }
        throw new Error('expected a ConfigError');
      };
      const url = bad('mqtt:\n  url: http://user:Cfg-Pw-1@broker\n');
      expect(url.code).toBe('CONFIG_INVALID');
      expect(url.message).toBe(
        'mqtt.url: must be a broker URL: mqtt://host[:port] or mqtts://host[:port] (also ws://, wss://) (line 7)',
      );
      expect(bad('mqtt:\n  url: mqtt://broker\n  stats_intervall: 5\n')).toMatchObject({
        code: 'CONFIG_UNKNOWN_KEY',
        message: 'mqtt.stats_intervall: unknown key (line 8)',
      });
      expect(bad('mqtt:\n  url: mqtt://broker\n  instance_id: a/b\n').message).toBe(
        'mqtt.instance_id: must be 1–64 letters, digits, _ or - (line 8)',
      );
      expect(bad('mqtt:\n  stats_interval: 5\n')).toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/^mqtt\.url: /),
      });

      const file = join(dir, 'check.yaml');
      writeFileSync(
        file,
        `${base}mqtt:\n  url: mqtt://framering:Check-Pw-2@127.0.0.1:1883\n` +
          `  username: other\n  password: \${MQTT_PASSWORD}\n`,
      );
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'src/service/cli.ts', 'serve', '--check', '--config', file],
          { cwd: REPO, env: { ...process.env, MQTT_PASSWORD: 'Check-Pw-3' } },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });
      expect(r.code).toBe(0);
      expect(r.out).toContain('url: mqtt://***@127.0.0.1:1883');
      expect(r.out).toMatch(/password: "?\*\*\*"?/);
      expect(r.out).not.toMatch(/Check-Pw-2|Check-Pw-3/);
      expect(r.out).not.toContain('accepted but not used yet: mqtt');
    },
  );
});

describe('framering serve --mqtt as a child process', { timeout: 120_000 }, () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill('SIGKILL');
      await exited(c);
      // A service killed with -9 leaves its rings: the next owner would replace them, the test removes them.
      for (const s of listSegments().filter((x) => x.name.startsWith(`svc${c.pid}-`))) removeSegment(s.segment);
    }
  });

  function serve(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; out: () => string } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/service/cli.ts', 'serve', '--port', '0', ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    return { child, out: () => out };
  }

  it('kill -9: the last will says offline within keepalive × 1.5', async () => {
    const broker = await Mosquitto.start();
    cleanups.push(() => broker.close());
    const sub = await Subscriber.connect(broker.url, ['framering/+/available']);
    cleanups.push(() => sub.close());
    const file = join(dir, 'will.yaml');
    writeFileSync(
      file,
      `cameras:\n  porch: { source: synthetic://testsrc, width: 160, height: 120, fps: 5 }\n` +
        `processes:\n  - name: motion\n    class: motion\nmqtt:\n` +
        `  url: mqtt://127.0.0.1:1\n  instance_id: willhost\n  keepalive: 2\n`,
    );
    const { child, out } = serve(['--config', file, '--mqtt', broker.url]); // the flag wins over mqtt.url
    await until('online', () => sub.last('framering/willhost/available') === 'online', 45_000);
    expect(out()).toMatch(/mqtt: connected to mqtt:\/\/127\.0\.0\.1:\d+/);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await until('offline from the last will', () => sub.last('framering/willhost/available') === 'offline', 6000);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(2 * 1.5 * 1000 + 1500);
  });

  it(
    'mqtt.required: true and no broker: the start fails with ' +
      'one clear line, exit 1; a bad --mqtt URL is a flag error',
    async () => {
      const file = join(dir, 'required.yaml');
      writeFileSync(
        file,
        `cameras:\n  porch: { source: synthetic://testsrc, width: 160, height: 120, fps: 5 }\n` +
          `processes:\n  - name: motion\n    class: motion\nmqtt:\n` +
          `  url: mqtt://framering:\${MQTT_PASSWORD}@127.0.0.1:1\n  required: true\n`,
      );
      const { child, out } = serve(['--config', file], { MQTT_PASSWORD: 'Req-Pw-31337' });
      const { code } = await exited(child);
      expect(code).toBe(1);
      expect(out()).toMatch(
        new RegExp(
          String.raw`framering: mqtt\.required is true and cannot reach the broker at mqtt:\/\/\*\*\*@127\.0\.0\.1:1` +
            String.raw` \(ECONNREFUSED\) \(MQTT_UNREACHABLE\) \[MQTT_REQUIRED\]; stopping`,
        ),
      );
      expect(out()).not.toContain('Req-Pw-31337');
      expect(listSegments().filter((s) => s.name.startsWith(`svc${child.pid}-`))).toEqual([]);

      const bad = serve(['--mqtt', 'http://user:Flag-Pw-1@127.0.0.1:1']);
      expect((await exited(bad.child)).code).toBe(1);
      expect(bad.out()).toMatch(
        /--mqtt: must be a broker URL: mqtt:\/\/host\[:port\] or mqtts:\/\/host\[:port\].*\[CONFIG_FLAG_INVALID\]/,
      );
      expect(bad.out()).not.toContain('Flag-Pw-1');
    },
  );
});
