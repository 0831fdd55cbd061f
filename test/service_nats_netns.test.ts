// Several hosts for real: network namespaces made here (nothing leaves them), one for nats-server, one for the
// camera host and one per detector host, each joined to the server's namespace by a veth pair. Every host is a
// `framering serve` child in its namespace. A detector host's link is cut (no TCP reset reaches anybody, as when a
// host loses power): the server notices through its pings, and the other detector host takes everything.
// Skipped where namespaces cannot be made (not root, no CAP_NET_ADMIN).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { listSegments } from '../src/shm/index.js';
import { removeSegment } from '../src/shm/internal.js';
import { exited } from './support/child_script.js';
import { until } from './support/wait.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ECHO_MASTER = fileURLToPath(new URL('./fixtures/nats/echo_master.ts', import.meta.url));
const REPLY_CLIENT = fileURLToPath(new URL('./fixtures/nats/reply_client.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'framering-netns-'));

const tag = `fr${process.pid % 100000}`;
const NS = { nats: `${tag}-n`, cam: `${tag}-c`, d1: `${tag}-d1`, d2: `${tag}-d2` };
// host namespace → its /30 inside the test network (only these namespaces have these addresses).
const LINKS: Array<[keyof typeof NS, number]> = [
  ['cam', 1],
  ['d1', 2],
  ['d2', 3],
];
const SERVER_OF = (net: number) => `10.213.${net}.1`;
const HOST_OF = (net: number) => `10.213.${net}.2`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function netnsWorks(): boolean {
  if (process.getuid?.() !== 0 || spawnSync('ip', ['-V']).status !== 0) return false;
  const probe = `${tag}-probe`;
  const made = spawnSync('ip', ['netns', 'add', probe]).status === 0;
  if (made) spawnSync('ip', ['netns', 'del', probe]);
  return made;
}

function cleanupNetwork(): void {
  for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns]);
}

const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) {
    c.kill('SIGKILL');
    await exited(c);
  }
  // After a failure: the rings of hosts killed here (their owner is dead) go, as framering-cleanup would remove them.
  const pids = children.map((c) => c.pid);
  for (const s of listSegments())
    if (s.stale && pids.some((p) => s.name.startsWith(`svc${p}-`))) removeSegment(s.segment);
  cleanupNetwork();
  rmSync(dir, { recursive: true, force: true });
});

function makeNetwork(): void {
  cleanupNetwork();
  for (const ns of Object.values(NS)) ip('netns', 'add', ns);
  for (const ns of Object.values(NS)) ip('-n', ns, 'link', 'set', 'lo', 'up');
  for (const [host, net] of LINKS) {
    const outer = `${tag}${host}n`; // the server's end
    const inner = `${tag}${host}h`; // the host's end
    ip('link', 'add', outer, 'netns', NS.nats, 'type', 'veth', 'peer', 'name', inner, 'netns', NS[host]);
    ip('-n', NS.nats, 'addr', 'add', `${SERVER_OF(net)}/30`, 'dev', outer);
    ip('-n', NS[host], 'addr', 'add', `${HOST_OF(net)}/30`, 'dev', inner);
    ip('-n', NS.nats, 'link', 'set', outer, 'up');
    ip('-n', NS[host], 'link', 'set', inner, 'up');
  }
}

function inNs(ns: string, cmd: string, args: string[], name: string): { child: ChildProcess; output: () => string } {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  child.on('exit', (code, signal) => (output += `\n[${name} exited: ${code ?? signal}]`));
  return { child, output: () => output };
}

function serveIn(
  ns: string,
  yaml: string,
  name: string,
  eventsFile?: string,
): { child: ChildProcess; output: () => string } {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const args = [
    '--import',
    'tsx',
    'src/service/cli.ts',
    'serve',
    '--config',
    file,
    '--port',
    '0',
    ...(eventsFile ? ['--events-jsonl', eventsFile] : []),
  ];
  return inNs(ns, process.execPath, args, name);
}

interface ReplyEvent {
  timestamp: number;
  camera: string;
  data: { reply: { tag: string; frameNumber: number }; metaFrame: number };
}

function replies(file: string): ReplyEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"reply"'))
    .map((l) => JSON.parse(l) as ReplyEvent);
}

describe.skipIf(!netnsWorks())('remote masters across network namespaces', { timeout: 120_000 }, () => {
  it(
    'camera host and two detector hosts on their own network stacks; a detector ' +
      'host whose link is cut silently loses its share once the server gives up on it',
    async () => {
      makeNetwork();
      // The server gives up on a client whose writes block for 1 s (default 10 s), and pings idle ones every second.
      const conf = join(dir, 'nats.conf');
      writeFileSync(conf, 'listen: "0.0.0.0:4222"\nping_interval: "1s"\nping_max: 2\nwrite_deadline: "1s"\n');
      const nats = inNs(NS.nats, 'nats-server', ['-c', conf], 'nats-server');
      const natsFor = (host: keyof typeof NS, name: string) =>
        `nats: { servers: "nats://${SERVER_OF(LINKS.find(([h]) => h === host)![1])}:4222", ` +
        `host: ${name}, timeout_ms: 1000 }\n`;
      const detector = (host: 'd1' | 'd2') => `${natsFor(host, host)}cameras: {}
processes:
  - name: detector
    shape: client-master
    cameras: []
    master: { class: { module: ${ECHO_MASTER}, export: EchoMaster }, options: { tag: ${host} }, serve_remote: true }
`;
      const camera = `${natsFor('cam', 'cam')}cameras:
  c0: { source: synthetic://testsrc2, width: 160, height: 120, fps: 10 }
processes:
  - name: detect
    shape: client-master
    client: { class: { module: ${REPLY_CLIENT}, export: ReplyClient } }
    master: { remote: detector }
`;
      const d1 = serveIn(NS.d1, detector('d1'), 'd1');
      const d2 = serveIn(NS.d2, detector('d2'), 'd2');
      await until(
        'both detector hosts connected',
        () => /nats: connected/.test(d1.output()) && /nats: connected/.test(d2.output()),
        45_000,
      ).catch((err) => {
        throw new Error(`${(err as Error).message}\n${nats.output()}\n${d1.output()}\n${d2.output()}`);
      });
      const events = join(dir, 'events.jsonl');
      const cam = serveIn(NS.cam, camera, 'cam', events);
      await until(
        'replies from both detector hosts',
        () => ['d1', 'd2'].every((t) => replies(events).some((r) => r.data.reply.tag === t)),
        45_000,
      ).catch((err) => {
        throw new Error(`${(err as Error).message}\n${cam.output()}`);
      });
      for (const r of replies(events)) expect(r.data.metaFrame).toBe(r.data.reply.frameNumber);
      await until(
        'the full rate before the cut',
        () => replies(events).filter((r) => r.timestamp > Date.now() - 3000).length >= 20,
        20_000,
      );

      // Cut d1's link: no FIN, no RST reaches anybody. The server still routes d1 its share (NATS 2.9 does not ping a
      // client it keeps sending to) until its writes to d1 block for write_deadline once the socket buffer is full.
      // Meanwhile the frames sent to d1 time out (counted) and the clients get the replies from d2.
      const steadyBefore = replies(events).filter((r) => r.timestamp > Date.now() - 3000).length;
      ip('-n', NS.nats, 'link', 'set', `${tag}d1n`, 'down');
      const cutAt = Date.now();
      const recovered = await until(
        'd2 alone at the full rate',
        () => {
          const recent = replies(events).filter((r) => r.timestamp > Date.now() - 2000);
          return recent.length >= Math.max(10, (steadyBefore * 2) / 3 - 4) &&
            recent.every((r) => r.data.reply.tag === 'd2')
            ? Date.now() - 2000
            : null;
        },
        40_000,
      );
      const after = replies(events).filter((r) => r.timestamp > cutAt);
      const times = [cutAt, ...after.map((r) => r.timestamp)];
      let longestGap = 0;
      for (let i = 1; i < times.length; i++) longestGap = Math.max(longestGap, times[i]! - times[i - 1]!);
      const lastD1 = Math.max(cutAt, ...after.filter((r) => r.data.reply.tag === 'd1').map((r) => r.timestamp));
      console.log(
        `netns: d1's link cut; d2 had everything ${recovered - cutAt} ms later; longest gap between ` +
          `replies meanwhile ${longestGap} ms; ${steadyBefore} replies in the 3 s before the cut`,
      );
      expect(lastD1 - cutAt).toBeLessThan(500); // nothing from d1 once its link is down (what was on its way may land)
      expect(longestGap).toBeLessThan(6000); // the clients were never left without replies for long
      expect(cam.child.exitCode).toBeNull();

      // Orderly stops (d1 too, its NATS gone); nothing left in /dev/shm by any host (one mount namespace for all).
      const hosts = [cam, d1, d2];
      const pids = hosts.map((h) => h.child.pid!);
      for (const h of hosts) h.child.kill('SIGTERM');
      for (const h of hosts) expect((await exited(h.child)).code).toBe(0);
      expect(listSegments().filter((s) => pids.some((p) => s.name.startsWith(`svc${p}-`)))).toEqual([]);
    },
  );
});
