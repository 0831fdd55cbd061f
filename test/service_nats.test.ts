// Remote masters on NATS, for real: a real nats-server on 127.0.0.1 (started here, on a free port), a camera host
// (the service with synthetic cameras and clients whose master is remote) and detector hosts (a `framering serve`
// child process, and a service in this process) in one queue group. Every wait is bounded; nothing may stay in
// /dev/shm but the input rings of a detector host killed with -9 (its owner), which the cleanup rule removes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { listSegments } from '../src/shm/index.js';
import { removeSegment } from '../src/shm/internal.js';
import { parseConfigText } from '../src/service/config/index.js';
import { startHttp } from '../src/service/http/index.js';
import type { NatsBridgeStats } from '../src/service/nats/index.js';
import { startService, type Service } from '../src/service/service.js';
import type { FrameringEvent } from '../src/service/service_view.js';
import { exited } from './support/child_script.js';
import { freePort, until } from './support/wait.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ECHO_MASTER = fileURLToPath(new URL('./fixtures/nats/echo_master.ts', import.meta.url));
const REPLY_CLIENT = fileURLToPath(new URL('./fixtures/nats/reply_client.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'framering-nats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const USER = 'framering';
const PASSWORD = 'Nats-Pw-4711';
const ENV = { NATS_USER: USER, NATS_PASSWORD: PASSWORD };

const services: Service[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  for (const c of children.splice(0)) {
    c.kill('SIGKILL');
    await exited(c);
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A real nats-server on 127.0.0.1:port (user/password when auth), up when this resolves. */
async function startNats(port: number, auth = true, more: string[] = []): Promise<ChildProcess> {
  const args = ['-a', '127.0.0.1', '-p', String(port), ...(auth ? ['--user', USER, '--pass', PASSWORD] : []), ...more];
  const child = spawn('nats-server', args, { stdio: 'ignore' });
  children.push(child);
  const end = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`nats-server did not listen on ${port}`);
    await sleep(50);
  }
  return child;
}

async function killNats(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await exited(child);
}

function natsSection(port: number, host: string, extra = '', auth = true): string {
  const creds = auth ? ', user: "${NATS_USER}", password: "${NATS_PASSWORD}"' : '';
  return `nats: { servers: "nats://127.0.0.1:${port}"${creds}, host: ${host}${extra ? `, ${extra}` : ''} }\n`;
}

function detectorYaml(
  port: number,
  host: string,
  tag: string,
  opts: { delayMs?: number; auth?: boolean } = {},
): string {
  return (
    `${natsSection(port, host, '', opts.auth ?? true)}cameras: {}
processes:
  - name: detector
    shape: client-master
    cameras: []
    master: { class: { module: ${ECHO_MASTER}, export: EchoMaster }, ` +
    `options: { tag: ${tag}, delayMs: ${opts.delayMs ?? 0} }, serve_remote: true }
`
  );
}

function cameraYaml(
  port: number,
  opts: { inflight?: number; timeoutMs?: number; auth?: boolean; fps?: number } = {},
): string {
  const extra = `inflight: ${opts.inflight ?? 2}, timeout_ms: ${opts.timeoutMs ?? 1000}`;
  return `${natsSection(port, 'cam', extra, opts.auth ?? true)}cameras:
  c0: { source: synthetic://testsrc2, width: 160, height: 120, fps: ${opts.fps ?? 10} }
  c1: { source: synthetic://testsrc, width: 160, height: 120, fps: ${opts.fps ?? 10} }
processes:
  - name: detect
    shape: client-master
    client: { class: { module: ${REPLY_CLIENT}, export: ReplyClient } }
    master: { remote: detector }
`;
}

async function service(yaml: string, logs: string[], env: Record<string, string> = ENV): Promise<Service> {
  const svc = await startService(parseConfigText(yaml, { env }), { log: (l) => logs.push(l) });
  services.push(svc);
  return svc;
}

/** `framering serve` as a child process: a detector host of its own (own process tree, own config). */
async function serveChild(yaml: string, name: string): Promise<{ child: ChildProcess; stderr: () => string }> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/service/cli.ts', 'serve', '--config', file, '--port', '0'],
    {
      cwd: REPO,
      env: { ...process.env, ...ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await until(
    `${name} to serve`,
    () =>
      /framering: open /.test(stdout) ||
      (child.exitCode !== null &&
        (() => {
          throw new Error(`${name} exited: ${stderr}`);
        })()),
    45_000,
  );
  await until(`${name} to reach NATS`, () => /nats: connected/.test(stderr), 15_000);
  return { child, stderr: () => stderr };
}

interface Reply {
  frameNumber: number;
  width: number;
  height: number;
  tag: string;
  client: string;
}
interface Received {
  at: number;
  camera: string;
  reply: Reply;
  metaFrame: number;
}

function collectReplies(svc: Service): { replies: Received[]; motion: FrameringEvent[] } {
  const replies: Received[] = [];
  const motion: FrameringEvent[] = [];
  svc.on('event', (e: FrameringEvent) => {
    if (e.kind === 'custom' && e.data?.reply)
      replies.push({
        at: Date.now(),
        camera: e.camera,
        reply: e.data.reply as Reply,
        metaFrame: e.data.metaFrame as number,
      });
    if (e.kind === 'motion') motion.push(e);
  });
  return { replies, motion };
}

function natsStats(svc: Service): NatsBridgeStats {
  return svc.stats().bridges.nats as NatsBridgeStats;
}

function ringsOf(pid: number): string[] {
  return listSegments()
    .filter((s) => s.name.startsWith(`svc${pid}-`))
    .map((s) => s.segment);
}

async function natsClient(port: number): Promise<NatsConnection> {
  return connect({ servers: `nats://127.0.0.1:${port}`, user: USER, pass: PASSWORD });
}

describe('remote masters on NATS', { timeout: 150_000 }, () => {
  it(
    'camera host + two detector hosts in a queue group: replies, failover ' +
      'after kill -9, bad input, NATS restart, no credential printed',
    async () => {
      const port = await freePort();
      let nats = await startNats(port);

      // Detector host A: `framering serve` in a process tree of its own. Detector host B: a service in this process.
      const a = await serveChild(detectorYaml(port, 'det-a', 'A'), 'det-a');
      const bLogs: string[] = [];
      const b = await service(detectorYaml(port, 'det-b', 'B'), bLogs);
      await until('detector B connected', () => natsStats(b).state === 'connected');

      // The camera host: two cameras, a client each, their master remote.
      const camLogs: string[] = [];
      const cam = await service(cameraYaml(port), camLogs);
      const { replies, motion } = collectReplies(cam);

      // Replies come back to each client's handleMessage, with the frame's number in the value and in the meta.
      await until(
        'replies from both detector hosts to both clients',
        () =>
          ['A', 'B'].every((tag) => replies.some((r) => r.reply.tag === tag)) &&
          ['c0', 'c1'].every((c) => replies.filter((r) => r.camera === c).length >= 5),
        30_000,
      );
      for (const r of replies) {
        expect(r.metaFrame).toBe(r.reply.frameNumber);
        expect([r.reply.width, r.reply.height]).toEqual([160, 120]);
        expect(r.reply.client).toBe(`detect-${r.camera}@cam`);
      }
      const s1 = natsStats(cam);
      const m1 = s1.masters.detector!;
      expect(s1.state).toBe('connected');
      expect(m1.state).toBe('connected');
      expect(m1.clients).toBe(2);
      expect(m1.frames_sent).toBeGreaterThan(0);
      expect(m1.replied).toBeGreaterThan(0);
      expect(m1.rtt_p50_ms).toBeGreaterThan(0);
      expect(m1.rtt_p99_ms!).toBeGreaterThanOrEqual(m1.rtt_p50_ms!);
      expect(m1.bytes_per_frame!).toBeGreaterThan(100);
      expect(m1.bytes_per_frame!).toBeLessThan(160 * 120 * 3); // JPEG
      expect(m1.inflight_max_seen).toBeLessThanOrEqual(2);
      expect(s1.url).toBe(`nats://127.0.0.1:${port}`);
      console.log(
        `round trip (camera host → detector host → back, loopback, 160x120 JPEG): p50 ${m1.rtt_p50_ms} ` +
          `ms, p99 ${m1.rtt_p99_ms} ms, ${m1.bytes_per_frame} bytes/frame, encode p50 ${m1.encode_ms_p50} ms`,
      );
      // The same per remote master in Prometheus text.
      const http = await startHttp(cam, { port: 0 });
      const metrics = await (await fetch(`${http.url.replace(/\/$/, '')}/metrics`)).text();
      await http.close();
      expect(metrics).toMatch(/^framering_remote_master_frames_sent_total\{master="detector"\} [1-9]/m);
      expect(metrics).toMatch(/^framering_remote_master_replies_total\{master="detector"\} [1-9]/m);
      expect(metrics).toMatch(/^framering_remote_master_round_trip_ms\{master="detector",quantile="0.99"\} [0-9.]+$/m);
      expect(metrics).toMatch(/^framering_remote_master_bytes_per_frame\{master="detector"\} [1-9]/m);
      expect(metrics).toMatch(/^framering_bridge_connected\{bridge="nats"\} 1$/m);
      // The clients' processes count the replies their handleMessage got.
      await until('client reply counts in stats', () => (cam.stats().processes['detect-c0']?.replies ?? 0) > 0);
      // A camera whose master is remote: its detection_fps is what the remote master answered.
      await until(
        'detection_fps from the remote master',
        () => Object.values(cam.stats().cameras).every((c) => c.detection_fps > 0),
        10_000,
      );

      // kill -9 detector host A: its share moves to B within 2 s (in-flight frames on A time out after 1 s).
      const aPid = a.child.pid!;
      a.child.kill('SIGKILL');
      const killedAt = Date.now();
      await exited(a.child);
      await sleep(4000);
      const after = replies.filter((r) => r.at > killedAt);
      // (A reply A sent just before its death may still be on its way through the client for a moment.)
      expect(after.filter((r) => r.at > killedAt + 500).every((r) => r.reply.tag === 'B')).toBe(true);
      let failoverMs = 0;
      for (const camera of ['c0', 'c1']) {
        const times = [killedAt, ...after.filter((r) => r.camera === camera).map((r) => r.at)];
        expect(times.length).toBeGreaterThan(10);
        for (let i = 1; i < times.length; i++) failoverMs = Math.max(failoverMs, times[i]! - times[i - 1]!);
      }
      console.log(`failover after kill -9 of a detector host: longest gap between replies ${failoverMs} ms`);
      expect(failoverMs).toBeLessThan(2000);
      expect(cam.stats().processes['detect-c0']!.state).toBe('running');
      // What A left: only the input rings its service process owned (writer dead), removed by the cleanup rule.
      const leftByA = await until(
        "A's children to close their rings",
        () => {
          const left = listSegments().filter((s) => s.writerPid === aPid || s.name.startsWith(`svc${aPid}-`));
          return left.every((s) => s.name.startsWith(`svc${aPid}-nats`)) ? left : null;
        },
        10_000,
      );
      for (const s of leftByA) expect(removeSegment(s.segment).removed).toBe(true);

      // Bad input published by hand: a corrupt JPEG, a raw frame of the wrong size, no headers. Counted on the
      // detector host (an error reply at once), never a crash.
      const nc = await natsClient(port);
      const frameHeaders = (format: string) => {
        const h = headers();
        for (const [k, v] of Object.entries({
          'Framering-Version': '1',
          'Framering-Host': 'evil',
          'Framering-Client': 'x',
          'Framering-Camera': 'x',
          'Framering-Format': format,
          'Framering-Width': '160',
          'Framering-Height': '120',
          'Framering-Frame': '1',
          'Framering-Timestamp-Us': '0',
        }))
          h.set(k, v);
        return h;
      };
      const corrupt = await nc.request(
        'framering.frames.detector',
        new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]),
        { timeout: 3000, headers: frameHeaders('jpeg') },
      );
      expect(corrupt.headers?.get('Framering-Error')).toMatch(/FRAME_CORRUPT/);
      const wrongSize = await nc.request('framering.frames.detector', new Uint8Array(100), {
        timeout: 3000,
        headers: frameHeaders('raw'),
      });
      expect(wrongSize.headers?.get('Framering-Error')).toMatch(/FRAME_SIZE/);
      const noHeaders = await nc.request('framering.frames.detector', new Uint8Array(10), { timeout: 3000 });
      expect(noHeaders.headers?.get('Framering-Error')).toMatch(/FRAME_HEADERS/);
      const served = natsStats(b).serving.detector!;
      expect(served.rejected_by_code).toMatchObject({ FRAME_CORRUPT: 1, FRAME_SIZE: 1, FRAME_HEADERS: 1 });
      expect(b.stats().processes['detector-master']!.state).toBe('running');
      expect(bLogs.some((l) => /FRAME_CORRUPT/.test(l))).toBe(true);

      // A reply for a client the camera host does not have: dropped and counted.
      nc.publish('framering.replies.cam.ghost.1', new Uint8Array([1, 2, 3]));
      nc.publish('framering.replies.cam.detect-c0', new Uint8Array([1])); // no sequence number either
      await nc.flush();
      await until('the unknown-client replies counted', () => natsStats(cam).unknown_client_replies >= 2, 5000);
      await nc.close();

      // NATS killed mid-run: the local processes go on (motion from the clients), frames for the remote master are
      // skipped and counted, the bridge reconnects when the server is back, and replies resume.
      await killNats(nats);
      const lostAt = Date.now();
      await until('the camera host to see NATS gone', () => natsStats(cam).state === 'reconnecting', 10_000);
      const skippedBefore = natsStats(cam).masters.detector!.skipped_disconnected;
      const motionBefore = motion.length;
      await sleep(2500);
      expect(natsStats(cam).masters.detector!.skipped_disconnected).toBeGreaterThan(skippedBefore);
      expect(motion.length).toBeGreaterThan(motionBefore);
      expect(Object.values(cam.stats().cameras).every((c) => c.state === 'streaming')).toBe(true);
      nats = await startNats(port);
      const backAt = Date.now();
      await until(
        'both hosts reconnected',
        () => natsStats(cam).state === 'connected' && natsStats(b).state === 'connected',
        15_000,
      );
      await until(
        'replies after the restart on both clients',
        () => ['c0', 'c1'].every((c) => replies.some((r) => r.camera === c && r.at > backAt)),
        15_000,
      );
      console.log(
        `NATS restart: replies resumed ` +
          `${Math.max(...['c0', 'c1'].map((c) => replies.find((r) => r.camera === c && r.at > backAt)!.at)) - backAt}` +
          ` ms after the server was back (down ${backAt - lostAt} ms)`,
      );
      const s2 = natsStats(cam);
      expect(s2.reconnects).toBeGreaterThanOrEqual(1);
      expect(s2.masters.detector!.inflight).toBeLessThanOrEqual(4);

      // Credentials never printed: not in stats, events, the config view or a log line (either host).
      const everything = JSON.stringify([
        cam.stats(),
        b.stats(),
        cam.recentEvents(1000),
        cam.redactedConfig(),
        b.redactedConfig(),
        camLogs,
        bLogs,
        a.stderr(),
      ]);
      expect(everything).not.toContain(PASSWORD);
      expect(JSON.stringify(cam.redactedConfig())).toContain('"password":"***"');

      await cam.stop();
      await b.stop();
      services.splice(0);
      expect(ringsOf(process.pid)).toEqual([]);
      await killNats(nats);
    },
  );

  it(
    'NATS down at start, then a slow detector: bounded ' + 'in flight, skips counted, camera host memory flat',
    async () => {
      const port = await freePort();
      const logs: string[] = [];
      // No server yet: the camera host starts all the same, its clients analyse, frames for the master are skipped.
      const cam = await service(cameraYaml(port, { auth: false, timeoutMs: 3000 }), logs, {});
      const { replies, motion } = collectReplies(cam);
      await until(
        'skips while NATS is unreachable',
        () => (natsStats(cam).masters.detector?.skipped_disconnected ?? 0) > 5 && motion.length > 0,
        15_000,
      );
      const down = natsStats(cam);
      expect(down.state).toBe('connecting');
      expect(down.last_error).toMatch(/NATS_UNREACHABLE/);
      expect(
        logs.some((l) =>
          /nats: cannot connect to nats:\/\/127\.0\.0\.1:\d+: .*\[NATS_UNREACHABLE\] \(retrying\)/.test(l),
        ),
      ).toBe(true);

      const nats = await startNats(port, false);
      const detLogs: string[] = [];
      const det = await service(detectorYaml(port, 'slow', 'S', { delayMs: 400, auth: false }), detLogs, {});
      await until(
        'connected and replies from the slow detector',
        () => natsStats(cam).state === 'connected' && replies.length > 3,
        20_000,
      );

      // 2 clients × 10 fps against a master that takes 400 ms a frame: never more than 2 in flight per client.
      const startSkipped = natsStats(cam).masters.detector!.skipped_inflight;
      const rss: number[] = [];
      let maxInflight = 0;
      const end = Date.now() + 8000;
      while (Date.now() < end) {
        const m = natsStats(cam).masters.detector!;
        maxInflight = Math.max(maxInflight, m.inflight);
        expect(m.inflight_bytes).toBeLessThan(4 * 160 * 120 * 3);
        rss.push(process.memoryUsage().rss);
        await sleep(200);
      }
      const m = natsStats(cam).masters.detector!;
      expect(maxInflight).toBeLessThanOrEqual(4);
      expect(m.inflight_max_seen).toBe(2);
      expect(m.skipped_inflight - startSkipped).toBeGreaterThan(20);
      expect(m.replied).toBeGreaterThan(5);
      const growth = rss[rss.length - 1]! - rss[Math.floor(rss.length / 3)]!;
      console.log(
        `slow detector: ${m.skipped_inflight} skipped (no in-flight slot), ${m.replied} replied, ` +
          `rtt p50 ${m.rtt_p50_ms} ms; rss growth over 5 s ${(growth / 1048576).toFixed(1)} MiB`,
      );
      expect(growth).toBeLessThan(64 * 1024 * 1024);

      await cam.stop();
      await det.stop();
      services.splice(0);
      expect(ringsOf(process.pid)).toEqual([]);
      await killNats(nats);
    },
  );

  it('a 3-node NATS cluster: the node the camera host is on dies, it moves to another, replies resume', async () => {
    const [p1, p2, p3, c1, c2, c3] = await Promise.all([0, 1, 2, 3, 4, 5].map(() => freePort()));
    const clientPorts = [p1!, p2!, p3!];
    const routePorts = [c1!, c2!, c3!];
    const nodes = await Promise.all(
      clientPorts.map((port, i) => {
        const routes = routePorts
          .filter((_, j) => j !== i)
          .map((r) => `nats://127.0.0.1:${r}`)
          .join(',');
        return startNats(port, false, [
          '--cluster_name',
          'framering-test',
          '--cluster',
          `nats://127.0.0.1:${routePorts[i]}`,
          '--routes',
          routes,
        ]);
      }),
    );
    const servers = clientPorts.map((p) => `"nats://127.0.0.1:${p}"`).join(', ');
    const list = (yaml: string) => yaml.replace(/servers: "nats:\/\/127\.0\.0\.1:\d+"/, `servers: [${servers}]`);
    const det = await service(list(detectorYaml(clientPorts[0]!, 'det-c', 'C', { auth: false })), [], {});
    const cam = await service(list(cameraYaml(clientPorts[0]!, { auth: false })), [], {});
    const { replies } = collectReplies(cam);
    await until(
      'replies through the cluster',
      () => ['c0', 'c1'].every((c) => replies.filter((r) => r.camera === c).length >= 3),
      30_000,
    );

    const on = natsStats(cam).server!;
    const i = clientPorts.findIndex((p) => on.endsWith(`:${p}`));
    expect(i).toBeGreaterThanOrEqual(0);
    await killNats(nodes[i]!);
    const killedAt = Date.now();
    await until(
      'the camera host on another node',
      () => natsStats(cam).state === 'connected' && natsStats(cam).server !== on && natsStats(cam).server,
      15_000,
    );
    await until(
      'replies again on both clients',
      () => ['c0', 'c1'].every((c) => replies.some((r) => r.camera === c && r.at > killedAt + 200)),
      15_000,
    );
    const resumed =
      Math.max(...['c0', 'c1'].map((c) => replies.find((r) => r.camera === c && r.at > killedAt + 200)!.at)) - killedAt;
    console.log(
      `cluster: node ${on} killed; the camera host moved to ` +
        `${natsStats(cam).server}, replies resumed within ${resumed} ms`,
    );
    expect(natsStats(cam).reconnects).toBeGreaterThanOrEqual(1);
    expect(cam.stats().processes['detect-c0']!.state).toBe('running');
    await cam.stop();
    await det.stop();
    services.splice(0);
    expect(ringsOf(process.pid)).toEqual([]);
    for (const n of nodes) if (n.exitCode === null) await killNats(n);
  });

  it('wrong credentials: a coded error in stats and the log, the password in neither', async () => {
    const port = await freePort();
    const nats = await startNats(port);
    const logs: string[] = [];
    const cam = await service(cameraYaml(port), logs, { NATS_USER: USER, NATS_PASSWORD: 'Wrong-Pw-0815' });
    const s = await until(
      'the auth failure',
      () => (natsStats(cam).last_error?.includes('NATS_AUTH') ? natsStats(cam) : null),
      15_000,
    );
    expect(s.state).toBe('failed');
    expect(logs.some((l) => /NATS_AUTH/.test(l))).toBe(true);
    expect(JSON.stringify([cam.stats(), logs, cam.redactedConfig()])).not.toContain('Wrong-Pw-0815');
    await cam.stop();
    services.splice(0);
    await killNats(nats);
  });
});

describe('the nats: config', () => {
  const errorOf = (yaml: string, env: Record<string, string> = {}): { code: string; message: string } => {
    try {
      parseConfigText(yaml, { env });
    } catch (err) {
      return err as { code: string; message: string };
    }
    throw new Error('no error');
  };
  const cams = 'cameras:\n  c0: { source: synthetic://testsrc2 }\n';
  const remoteGroup =
    'processes:\n  - name: detect\n    shape: client-master\n' +
    '    client: { class: motion-client }\n    master: { remote: detector }\n';

  it('a remote or served master needs a nats: section; credentials go in pairs; names are subject tokens', () => {
    expect(errorOf(cams + remoteGroup)).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(
        /^processes\[0\]\.master\.remote: a remote master is reached through NATS: add a nats: section .*\(line 7\)$/,
      ),
    });
    const det =
      'cameras: {}\nprocesses:\n  - name: det\n    shape: client-master\n' +
      '    cameras: []\n    master: { class: blob-master, serve_remote: true }\n';
    expect(errorOf(det)).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/master\.serve_remote: remote clients come through NATS/),
    });
    expect(
      errorOf(`nats: { servers: nats://127.0.0.1:4222, password: "\${NATS_PASSWORD}" }\n${cams}${remoteGroup}`, {
        NATS_PASSWORD: 'Pw-0000-secret',
      }),
    ).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/^nats\.user: is required with password \(line 1\)$/),
    });
    expect(errorOf(`nats: { user: u, password: p, token: t }\n${cams}${remoteGroup}`).message).toMatch(
      /nats\.token: cannot go with user and password/,
    );
    expect(errorOf(`nats: { prefix: "a.*" }\n${cams}${remoteGroup}`).message).toMatch(
      /nats\.prefix: must be subject tokens/,
    );
    expect(errorOf(`nats: {}\n${cams}${remoteGroup.replace('remote: detector', 'remote: "a.b"')}`).message).toMatch(
      /master\.remote: must be 1–31 letters/,
    );
    expect(errorOf(`nats: { inflight: 0 }\n${cams}${remoteGroup}`)).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/nats\.inflight: must be an integer 1–64/),
    });
    expect(errorOf(`nats: { url: x }\n${cams}${remoteGroup}`)).toMatchObject({
      code: 'CONFIG_UNKNOWN_KEY',
      message: expect.stringMatching(/^nats\.url: unknown key/),
    });
    // Only a serving master's group may have no camera, and a group with cameras needs its client class.
    expect(errorOf(`nats: {}\ncameras: {}\n${remoteGroup}`).message).toMatch(/^cameras: must have at least one camera/);
    expect(
      errorOf(
        `nats: {}\n${cams}processes:\n  - name: d\n    shape: client-master\n` +
          `    master: { class: blob-master, serve_remote: true }\n`,
      ).message,
    ).toMatch(/processes\[0\]\.client: is required/);
    const twice =
      `nats: {}\ncameras: {}\nprocesses:\n  - name: a\n    shape: client-master\n    cameras: []\n` +
      `    master: { class: blob-master, serve_remote: det }\n  - name: b\n` +
      `    shape: client-master\n    cameras: []\n    master: { class: blob-master, serve_remote: det }\n`;
    expect(errorOf(twice)).toMatchObject({
      code: 'CONFIG_DUPLICATE_NAME',
      message: expect.stringMatching(/serves remote clients as 'det'/),
    });
    // The password never in an error message.
    expect(
      errorOf(
        `nats: { servers: "nats://u:Pw-0000-secret@h:4222", user: u, ` +
          `password: "\${NATS_PASSWORD}", inflight: 0 }\n${cams}${remoteGroup}`,
        { NATS_PASSWORD: 'Pw-0000-secret' },
      ).message,
    ).not.toContain('Pw-0000-secret');
  });
});
