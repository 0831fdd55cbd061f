// MQTT bridge benchmark (issue 11): messages per second through a real mosquitto on loopback, and the CPU the MQTT
// side adds to the service's process at 4 cameras with every motion event (≈10/s per camera) routed to the broker.
//   npx tsx scripts/bench_mqtt.ts [--seconds S] [--json FILE]
// Needs mosquitto on PATH (Debian: apt-get install mosquitto); it is started here on 127.0.0.1 on a free port.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { parseConfigText } from '../src/service/config/index.js';
import { mqttConfigFor, startMqttBridge } from '../src/service/mqtt/index.js';
import { startService } from '../src/service/service.js';
import type { FrameringEvent } from '../src/service/service_view.js';
import { freePort } from './bench/free_port.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' }, json: { type: 'string' } } });
const seconds = Number(values.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'framering-bench-mqtt-'));
const port = await freePort();
writeFileSync(join(dir, 'm.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
const broker = spawn('mosquitto', ['-c', join(dir, 'm.conf')], { stdio: 'ignore' });
await sleep(500);
const url = `mqtt://127.0.0.1:${port}`;
const results: Record<string, unknown> = {};

try {
  const sub = await mqtt.connectAsync(url);
  let received = 0;
  sub.on('message', () => received++);
  await sub.subscribeAsync('framering/#', { qos: 0 });

  const cams = ['a', 'b', 'c', 'd']
    .map((c) => `  cam${c}: { source: synthetic://testsrc2, width: 320, height: 240, fps: 10 }`)
    .join('\n');
  const svc = await startService(
    parseConfigText(`cameras:\n${cams}\nprocesses:\n  - name: motion\n    class: motion\n`),
    { log: () => {} },
  );
  let events = 0;
  svc.on('event', (_e: FrameringEvent) => events++);
  await sleep(3000); // warm up

  const window = async () => {
    const cpu0 = process.cpuUsage();
    const e0 = events;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const s = (performance.now() - t0) / 1000;
    return { cpuPercent: ((cpu.user + cpu.system) / 1e6 / s) * 100, eventsPerS: (events - e0) / s };
  };
  const without = await window();
  const bridge = await startMqttBridge(svc, {
    config: mqttConfigFor(url, { instance_id: 'bench', stats_interval: 1, routes: [{ kind: 'motion' }] }),
    log: () => {},
  });
  await sleep(2000);
  const r0 = received;
  const withBridge = await window();
  const mqttPerS = (received - r0) / seconds;
  results.cpu = {
    cameras: 4,
    events_per_s: Math.round(withBridge.eventsPerS),
    mqtt_messages_per_s: Math.round(mqttPerS),
    service_cpu_percent_without_mqtt: round(without.cpuPercent),
    service_cpu_percent_with_mqtt: round(withBridge.cpuPercent),
    added_cpu_percent_of_one_core: round(withBridge.cpuPercent - without.cpuPercent),
  };

  // Throughput: as fast as the bridge takes them (never past half its queue), counted at the subscriber.
  const n = 50_000;
  const payload = JSON.stringify({
    type: 'update',
    camera: 'cama',
    label: 'person',
    score: 0.9,
    box: { x: 1, y: 2, width: 3, height: 4 },
    frame_time: Date.now() / 1000,
  });
  const before = received;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    while (bridge.stats().queued > 500) await new Promise((r) => setImmediate(r));
    bridge.publish('bench/load', payload);
  }
  const end = Date.now() + 30_000;
  while (received - before < n - bridge.stats().dropped && Date.now() < end) await sleep(20);
  const s = (performance.now() - t0) / 1000;
  results.throughput = {
    messages: n,
    received: received - before,
    dropped: bridge.stats().dropped,
    seconds: round(s),
    messages_per_s: Math.round((received - before) / s),
  };

  await bridge.stop();
  await svc.stop();
  await sub.endAsync(true);
} finally {
  broker.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(results, null, 2));
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
