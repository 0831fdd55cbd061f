// main1, main2 and main3 against a real RTSP server on 127.0.0.1 (GStreamer, test/support/rtsp_test_server.ts)
// with two cameras: an open mount and a password-protected one. The password must never be printed. A camera
// that cannot be reached is retried and shown, and does not stop the others.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtspTestServer } from './support/rtsp_test_server.js';
import {
  expectCamerasStreamed,
  expectCleanRun,
  expectSnapshots,
  expectSources,
  processNamed,
} from './fixtures/examples/check_run.js';
import { runExample, type ExampleRun } from './fixtures/examples/run_example.js';

const W = 320;
const H = 240;
const PASSWORD = 'ex4mple-Pa55';
const base = mkdtempSync(join(tmpdir(), 'framering-examples-rtsp-'));
let server: RtspTestServer;

beforeAll(async () => {
  // 'ball': a moving ball, so the motion detector has something to find.
  server = await RtspTestServer.start({
    width: W,
    height: H,
    fps: 10,
    pattern: 'ball',
    user: 'viewer',
    password: PASSWORD,
  });
});

afterAll(async () => {
  await server?.stop();
  rmSync(base, { recursive: true, force: true });
});

function cameras(): string[] {
  return [server.url(), server.secureUrl()];
}

function args(out: string, duration = 5): string[] {
  return [
    '--width',
    String(W),
    '--height',
    String(H),
    '--fps',
    '10',
    '--duration',
    String(duration),
    '--out',
    out,
    '--json',
    '--snapshot-interval',
    '1',
  ];
}

function expectNoPassword(run: ExampleRun): void {
  expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  expect(run.json!.cameras[1]!.source).toContain('rtsp://***@127.0.0.1');
}

/** A local port nobody listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('examples on a real RTSP server', { timeout: 120_000 }, () => {
  it('main1: both RTSP cameras reach the one RGB24Process', async () => {
    const out = join(base, 'main1');
    const run = await runExample('main1', [...cameras(), ...args(out)]);
    const json = expectCleanRun(run);
    expectNoPassword(run);
    expectCamerasStreamed(json, ['cam0', 'cam1']);
    const rgb = processNamed(json, 'rgb');
    expectSources(rgb, ['cam0', 'cam1']);
    expect(rgb.motionFrames).toBeGreaterThan(0);
    await expectSnapshots(out, ['cam0', 'cam1'], W, H);
  });

  it('main1 --transport udp: the same over RTP/UDP', async () => {
    const out = join(base, 'main1-udp');
    const run = await runExample('main1', [...cameras(), ...args(out, 4), '--transport', 'udp']);
    const json = expectCleanRun(run);
    expectNoPassword(run);
    expectCamerasStreamed(json, ['cam0', 'cam1']);
    for (const c of json.cameras) expect(c.source).toContain('rtsp over udp');
    expectSources(processNamed(json, 'rgb'), ['cam0', 'cam1']);
  });

  it('main2: each RTSP camera reaches its own process', async () => {
    const out = join(base, 'main2');
    const run = await runExample('main2', [...cameras(), ...args(out)]);
    const json = expectCleanRun(run);
    expectNoPassword(run);
    expectCamerasStreamed(json, ['cam0', 'cam1']);
    expectSources(processNamed(json, 'rgb-cam0'), ['cam0']);
    expectSources(processNamed(json, 'rgb-cam1'), ['cam1']);
    await expectSnapshots(out, ['cam0', 'cam1'], W, H);
  });

  it('main3: RTSP cameras → clients → master, replies back to the right client', async () => {
    const out = join(base, 'main3');
    // The blob master: the RTSP test cameras show test patterns, which hold no COCO object for the detector.
    const run = await runExample('main3', [...cameras(), ...args(out, 6), '--detector', 'blobs']);
    const json = expectCleanRun(run);
    expectNoPassword(run);
    expectCamerasStreamed(json, ['cam0', 'cam1']);
    const master = processNamed(json, 'master');
    expectSources(master, ['client-cam0', 'client-cam1']);
    for (const cam of ['cam0', 'cam1']) {
      const client = processNamed(json, `client-${cam}`);
      expectSources(client, [cam]);
      expect(client.replies).toBeGreaterThan(0);
      expect(client.misrouted).toBe(0);
      expect(client.replies).toBeLessThanOrEqual(master.sources[`client-${cam}`]!);
    }
    await expectSnapshots(out, ['cam0', 'cam1'], W, H);
  });

  it('a camera that cannot be reached is retried and reported, and the others run on', async () => {
    const dead = `rtsp://viewer:${PASSWORD}@127.0.0.1:${await closedPort()}/nothing`;
    const out = join(base, 'dead');
    const run = await runExample('main2', [server.url(), dead, ...args(out, 5)]);
    const json = expectCleanRun(run);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    const [live, gone] = json.cameras;
    expect(live!.frames).toBeGreaterThan(5);
    expect(gone!.frames).toBe(0);
    expect(gone!.restarts).toBeGreaterThan(0);
    expect(gone!.lastError).toMatch(/rtsp:\/\/\*\*\*@127\.0\.0\.1/);
    expect(run.stderr).toMatch(/cam1 (reconnecting|connecting)/); // in the status line
    expectSources(processNamed(json, 'rgb-cam0'), ['cam0']);
    expect(processNamed(json, 'rgb-cam1').frames).toBe(0);
  });
});
