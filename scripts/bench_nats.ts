// Remote master vs local master, in one run on this machine: frames/s through, round trip p50/p99 (client's
// forwardFrame → the master's reply in the client's handleMessage), bytes per frame, and the CPU the bridges spend
// (JPEG encode on the camera side, decode on the detector side) per frame. Loopback, a real nats-server.
//
//   npx tsx scripts/bench_nats.ts [--seconds S] [--fps F] [--json FILE]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { parseArgs } from 'node:util';
import { NatsBridge, stopInOrder } from '../src/index.js';
import { BenchClient, BenchMaster, type BenchClientStats } from './bench/nats_processes.js';
import { percentile } from './bench/stats.js';
import { freePort } from './bench/free_port.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    fps: { type: 'string', default: '30' },
    json: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const FPS = Number(values.fps);
const SIZES: Array<[number, number]> = [
  [640, 360],
  [1280, 720],
];

interface Row {
  name: string;
  frames_per_s: number;
  rtt_p50_ms: number;
  rtt_p99_ms: number;
  bytes_per_frame: number | null;
  bridge_cpu_ms_per_frame: number | null;
  encode_ms_p50: number | null;
  decode_ms_p50: number | null;
  skipped: number;
}

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port });
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nats-server did not start');
}

async function measure(client: BenchClient, seconds: number): Promise<{ stats: BenchClientStats; cpuMs: number }> {
  await new Promise((r) => setTimeout(r, 1500)); // warm up
  await client.backend.takeStats();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  return { stats: await client.backend.takeStats(), cpuMs: (cpu.user + cpu.system) / 1000 };
}

function row(name: string, m: { stats: BenchClientStats; cpuMs: number }, extra: Partial<Row>): Row {
  return {
    name,
    frames_per_s: Math.round((m.stats.replies / SECONDS) * 10) / 10,
    rtt_p50_ms: Math.round(percentile(m.stats.rttMs, 50) * 100) / 100,
    rtt_p99_ms: Math.round(percentile(m.stats.rttMs, 99) * 100) / 100,
    bytes_per_frame: null,
    bridge_cpu_ms_per_frame: null,
    encode_ms_p50: null,
    decode_ms_p50: null,
    skipped: m.stats.skipped,
    ...extra,
  };
}

async function main(): Promise<void> {
  const port = await freePort();
  const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const rows: Row[] = [];
  try {
    await waitListening(port);
    for (const [width, height] of SIZES) {
      const size = `${width}x${height}`;
      // Local: the client registered with a master on this host (frames through /dev/shm).
      {
        const client = new BenchClient({ name: 'bench-client', forward: { width, height }, fps: FPS });
        const master = new BenchMaster({ name: 'bench-master' });
        await Promise.all([client.start(), master.start()]);
        await master.registerClientProcess(client);
        const m = await measure(client, SECONDS);
        rows.push(row(`local master ${size}`, m, { bridge_cpu_ms_per_frame: 0 }));
        await stopInOrder([client], [master]);
      }
      for (const encoding of ['jpeg', 'raw'] as const) {
        const client = new BenchClient({ name: 'bench-client', forward: { width, height }, fps: FPS });
        const master = new BenchMaster({ name: 'bench-master' });
        await Promise.all([client.start(), master.start()]);
        const servers = `nats://127.0.0.1:${port}`;
        const log = () => {};
        const camera = new NatsBridge({ servers, host: 'cam', encoding, log }).start();
        const detector = new NatsBridge({ servers, host: 'det', log }).start();
        detector.serveMaster(master, 'bench');
        while (camera.state !== 'connected' || detector.state !== 'connected')
          await new Promise((r) => setTimeout(r, 50));
        await camera.forwardClient(client, 'bench', 'cam0');
        const m = await measure(client, SECONDS);
        const cs = camera.stats().masters.bench!;
        const ds = detector.stats().serving.bench!;
        const frames = Math.max(1, m.stats.replies);
        const fellBack = encoding === 'raw' && cs.bytes_per_frame !== null && cs.bytes_per_frame < width * height * 3;
        rows.push(
          row(`remote master ${size} ${encoding}${fellBack ? ' (above max_payload: sent as JPEG)' : ''}`, m, {
            bytes_per_frame: cs.bytes_per_frame,
            // This process runs both bridges: its CPU is the bridges' (encode, NATS, decode, ring copies).
            bridge_cpu_ms_per_frame: Math.round((m.cpuMs / frames) * 100) / 100,
            encode_ms_p50: cs.encode_ms_p50,
            decode_ms_p50: ds.decode_ms_p50,
          }),
        );
        await camera.stop();
        await detector.stop();
        await stopInOrder([client], [master]);
      }
    }
  } finally {
    server.kill('SIGKILL');
  }
  console.log(`remote vs local master, ${FPS} frames/s offered, ${SECONDS} s each, 2 in flight, loopback nats-server`);
  console.table(rows);
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
